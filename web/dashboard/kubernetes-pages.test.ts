// web/dashboard/kubernetes-pages.test.ts — the dashboard and the API in Kubernetes mode on the real test cluster
// (PAAS_RUNTIME=kubernetes, the cluster's kubeconfig): for an app the runtime deployed there, the reader that
// select.ts builds from that config shows the kubelet's log lines of its pod on the logs page and over the live
// socket, its pod's real status on the processes page, and both in the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken } from '../../core/accounts/users.ts';
import { KubernetesRuntime } from '../../runtime/kubernetes/kubernetes-runtime.ts';
import { createAppAs, openLive, releaseBuild, signUp, startWeb } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';
import { eventually } from '../../test/support/cluster.ts';
import { appImage } from '../../test/support/kube-images.ts';
import { askService, kubeSpec, startKubeWorld } from '../../test/support/kubernetes.ts';

test("in Kubernetes mode the logs page shows the pods' log lines, live too; processes and the API show the pods", async (t) => {
  const w = await startKubeWorld(t);
  const NS = w.appNamespace('shop');
  const h = await startWeb(t, {
    PAAS_RUNTIME: 'kubernetes', KUBECONFIG: w.kubeconfig, PAAS_NAMESPACE: w.config.namespace, PAAS_NAMESPACE_PREFIX: w.config.namespacePrefix,
    PAAS_BUILD_NAMESPACE: w.config.buildNamespace, PAAS_REGISTRY: w.config.registry, PAAS_BASE_DOMAIN: 'apps.test',
  });
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'shop');
  await releaseBuild(h, 'shop', await insertBuild(h.db, 'shop', { status: 'succeeded' }));
  assert.match((await b.get('/apps/shop/logs')).body, /No output yet\./);

  // As the controller would: the runtime deploys v1 of a real app image into the cluster.
  await new KubernetesRuntime(w.kube, w.config).deploy(kubeSpec('shop', 1, { image: await appImage('web') }), () => undefined);
  const [pod] = (await w.kube.core.listNamespacedPod({ namespace: NS, labelSelector: 'paas.dev/release=1' })).items.map((p) => p.metadata!.name!);
  const suffix = pod!.slice(pod!.lastIndexOf('-') + 1);
  await askService(w.kube, NS, '/cart?<200>');
  await eventually('the request on the logs page', async () => ((await b.get('/apps/shop/logs')).body.includes('GET /cart?&lt;200&gt;') ? true : undefined), 20_000);

  const page = await b.get('/apps/shop/logs');
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.body, /No output yet\./);
  assert.ok(page.body.includes(`app[web.${suffix}]`), page.body);
  assert.ok(page.body.includes('listening on 5000'), 'the app\'s own first lines, from the kubelet');
  assert.ok(page.body.includes('GET /cart?&lt;200&gt;') && !page.body.includes('<200>'), 'escaped');

  const live = await openLive(h, '/apps/shop/logs/live', b.cookieHeader);
  const first = await live.until(/GET \/cart/);
  assert.match(first, /hx-swap-oob="innerHTML"/, 'the tail replaces what the page shows');
  await askService(w.kube, NS, '/checkout');
  const more = await live.until(/GET \/checkout/);
  assert.match(more.slice(first.length), /hx-swap-oob="beforeend"/, 'a new line is appended');
  live.close();

  const processes = await b.get('/apps/shop/processes');
  assert.match(processes.body, new RegExp(`<code>web\\.1</code></td><td><span class="badge badge-up">up</span>\\s*</td><td>v1</td><td><code>${pod}</code></td>`));

  const { id } = await h.db('users').where({ email: 'a@example.com' }).first('id');
  const headers = { authorization: `Bearer ${await createToken(h.db, id)}` };
  const ps = (await h.app.inject({ url: '/api/apps/shop/ps', headers })).json();
  assert.deepEqual(ps.map((p: { process: string; state: string; pod: string; port: null }) => [p.process, p.state, p.pod, p.port]), [['web.1', 'up', pod, null]]);
  const logs = (await h.app.inject({ url: '/api/apps/shop/logs?lines=2', headers })).json();
  assert.equal(logs.lines.length, 2);
  assert.match(logs.lines[1], new RegExp(`^\\S+ app\\[web\\.${suffix}\\]: GET /checkout$`));
});
