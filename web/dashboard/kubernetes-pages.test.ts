// web/dashboard/kubernetes-pages.test.ts — the dashboard and the API in Kubernetes mode (PAAS_RUNTIME=kubernetes,
// a kubeconfig naming the stand-in API server): the reader that select.ts builds from that config shows a pod's
// log lines on the app's logs page and over its live socket, its pods on the processes page, and both in the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createToken } from '../../core/accounts/users.ts';
import { KubernetesRuntime } from '../../runtime/kubernetes/kubernetes-runtime.ts';
import { createAppAs, openLive, releaseBuild, signUp, startWeb } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';
import { kubeSpec, startKubeWorld } from '../../test/support/kubernetes.ts';

const NS = 'paas-app-shop';

test("in Kubernetes mode the logs page shows the pods' log lines, live too; processes and the API show the pods", async (t) => {
  const w = await startKubeWorld(t);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-kube-dash-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  fs.writeFileSync(kubeconfig, w.standIn.kubeconfigYaml(), { mode: 0o600 });
  const h = await startWeb(t, { PAAS_RUNTIME: 'kubernetes', KUBECONFIG: kubeconfig, PAAS_REGISTRY: 'registry.test:5000', PAAS_BASE_DOMAIN: 'apps.test' });
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'shop');
  await releaseBuild(h, 'shop', await insertBuild(h.db, 'shop', { status: 'succeeded' }));
  assert.match((await b.get('/apps/shop/logs')).body, /No output yet\./);

  await new KubernetesRuntime(w.kube, w.config).deploy(kubeSpec('shop', 1), () => undefined); // as the controller would
  await w.standIn.sim.settle();
  const [pod] = w.standIn.list('v1', 'Pod', NS).map((p) => p.metadata.name);
  const suffix = pod!.slice(pod!.lastIndexOf('-') + 1);
  w.standIn.logs.append(NS, pod!, 'web', 'node app listening on port 5000');
  w.standIn.logs.append(NS, pod!, 'web', 'GET /cart <200>');

  const page = await b.get('/apps/shop/logs');
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.body, /No output yet\./);
  assert.ok(page.body.includes(`app[web.${suffix}]`), page.body);
  assert.ok(page.body.includes('node app listening on port 5000'));
  assert.ok(page.body.includes('GET /cart &lt;200&gt;'), 'escaped');

  const live = await openLive(h, '/apps/shop/logs/live', b.cookieHeader);
  const first = await live.until(/GET \/cart/);
  assert.match(first, /hx-swap-oob="innerHTML"/, 'the tail replaces what the page shows');
  w.standIn.logs.append(NS, pod!, 'web', 'GET /checkout 201');
  const more = await live.until(/GET \/checkout 201/);
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
  assert.match(logs.lines[1], new RegExp(`^\\S+ app\\[web\\.${suffix}\\]: GET /checkout 201$`));
});
