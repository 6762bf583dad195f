// runtime/kubernetes/kubernetes-runtime.test.ts — the Kubernetes runtime driver on the real test cluster
// (scripts/test-cluster.sh) with real app images (test/support/kube-images.ts): one app goes through a happy
// rollout, failed rollouts (CrashLoopBackOff, never ready, a failing readiness path, a missing image) each rolled
// back while the old pods keep answering through the Service, the release phase, a config change, scale, ps, logs,
// restart, certs:add and destroy. What the server stored is read back (managedFields, pods, Services) rather than
// the requests sent. The tests share one app and run in order: each starts from where the one before left it.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { eventually } from '../../test/support/cluster.ts';
import { appImage } from '../../test/support/kube-images.ts';
import { askService, getFromService, kubeSpec, namespaceGone, serviceAnswers, sharedKubeWorld, type KubeWorld } from '../../test/support/kubernetes.ts';
import { RolloutFailedError } from '../driver.ts';
import type { ReleaseSpec } from '../types.ts';
import { FIELD_MANAGER } from './apply.ts';
import { KubernetesRuntime } from './kubernetes-runtime.ts';
import type { KubeObject } from './manifests.ts';
import { objectProblems } from './validate.ts';

let w: KubeWorld;
let runtime: KubernetesRuntime;
let NS: string;
let web: string;
/** The release the app runs now (what a failed rollout goes back to). */
let live: ReleaseSpec;

const world = sharedKubeWorld();

before(async () => {
  w = await world;
  runtime = new KubernetesRuntime(w.kube, w.config);
  NS = w.appNamespace('shop');
  web = await appImage('web');
});

const deployment = (name: string) => w.kube.apps.readNamespacedDeployment({ namespace: NS, name });
const pods = async (selector = 'app.kubernetes.io/instance=shop,paas.dev/release'): Promise<V1Pod[]> =>
  (await w.kube.core.listNamespacedPod({ namespace: NS, labelSelector: selector })).items;
const running = (p: V1Pod) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp;
const names = (list: V1Pod[]) => list.map((p) => p.metadata!.name!).sort();

/** Deploys a release that must fail; meanwhile asks the Service again and again, and returns every answer with the error. */
async function failingDeploy(spec: ReleaseSpec, lines: string[] = []): Promise<{ err: RolloutFailedError; answers: string[]; ms: number }> {
  const answers: string[] = [];
  let done = false;
  const asking = (async () => {
    while (!done) answers.push(await getFromService(w.kube, NS).then((r) => `${r.status} ${r.body.trim()}`, (e: Error) => `error ${e.message}`));
  })();
  const started = Date.now();
  const err = await runtime.deploy(spec, (l) => lines.push(l), live).then(() => undefined, (e: unknown) => e);
  const ms = Date.now() - started;
  done = true;
  await asking;
  assert.ok(err instanceof RolloutFailedError, `${String(err)}\n${lines.join('\n')}`);
  return { err, answers, ms };
}

/** Every answer during a failed rollout came from v1's pods. */
function allFromV1(answers: string[]): void {
  assert.ok(answers.length > 0, 'the Service was asked during the rollout');
  const other = answers.filter((a) => !a.startsWith('200 release v1 '));
  assert.deepEqual(other, [], `the old release kept answering (${answers.length} answers)`);
}

describe('the Kubernetes runtime on the real cluster', () => {
  test('deploy applies every object with server-side apply under one field manager; the pods run and the Service answers', async () => {
    const lines: string[] = [];
    live = kubeSpec('shop', 1, {
      image: web, domains: ['shop.example.com'],
      processes: [{ type: 'web', command: '', quantity: 2 }, { type: 'worker', command: 'exec node /app/worker.js', quantity: 1 }],
    });
    await runtime.deploy(live, (l) => lines.push(l));
    assert.ok(lines.includes(`-----> Applying v1 to namespace ${NS}`), lines.join('\n'));
    assert.ok(lines.includes('       deployment "web" successfully rolled out'), lines.join('\n'));
    const kinds = [['v1', 'Namespace', undefined, NS], ['v1', 'Secret', NS, 'config-vars'], ['v1', 'ConfigMap', NS, 'platform'], ['apps/v1', 'Deployment', NS, 'web'],
      ['apps/v1', 'Deployment', NS, 'worker'], ['v1', 'Service', NS, 'web'], ['networking.k8s.io/v1', 'Ingress', NS, 'web']] as const;
    for (const [apiVersion, kind, namespace, name] of kinds) {
      const obj = await w.kube.objects.read({ apiVersion, kind, metadata: { name, namespace } } as never);
      // Only our manager applies; the others the server lists update status (the Deployment controller, Kubernetes itself).
      const appliers = (obj.metadata?.managedFields ?? []).filter((m) => m.operation === 'Apply').map((m) => m.manager);
      assert.deepEqual(appliers, [FIELD_MANAGER], `${kind} ${name}: ${JSON.stringify(obj.metadata?.managedFields?.map((m) => [m.manager, m.operation]))}`);
      const { metadata, ...rest } = obj as KubernetesObject & Record<string, unknown>;
      const stored = { ...rest, metadata: { name: metadata!.name, namespace: metadata!.namespace, labels: metadata!.labels, annotations: metadata!.annotations } } as unknown as KubeObject;
      assert.deepEqual(objectProblems(stored).filter((p) => !p.includes('status')), [], `${kind} ${name} stored as valid`);
    }
    assert.equal((await deployment('web')).spec?.replicas, 2);
    const ingress = await w.kube.objects.read({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: NS } } as never) as KubernetesObject & { spec: { rules: Array<{ host: string }> } };
    assert.deepEqual(ingress.spec.rules.map((r) => r.host), ['shop.apps.test', 'shop.example.com']);
    const up = await pods();
    assert.deepEqual(up.map((p) => `${p.metadata?.annotations?.['paas.dev/process-type']} ${p.status?.phase} ${p.status?.containerStatuses?.[0]?.ready}`).sort(),
      ['web Running true', 'web Running true', 'worker Running true']);
    const answer = await serviceAnswers(w.kube, NS, /^release v1 greeting hello dyno web-/);
    assert.match(answer, /dyno web-\w+-\w+/, 'DYNO is the pod name');
  });

  test("a release stuck in CrashLoopBackOff fails fast with the pod's last lines and goes back to v1, whose pods kept serving", async () => {
    const before = names((await pods()).filter((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === 'web'));
    const lines: string[] = [];
    const { err, answers, ms } = await failingDeploy(kubeSpec('shop', 2, { image: await appImage('crash'), processes: live.processes }), lines);
    assert.match(err.message, /: CrashLoopBackOff \(/);
    assert.ok(ms < 60_000, `failed at the crash, not at the progress deadline (${ms} ms)`);
    assert.equal(err.rolledBackTo, 1);
    assert.ok(err.lastLines.includes("Error: Cannot find module 'express'"), err.lastLines.join('\n'));
    assert.ok(err.lastLines.includes('booting crash v2'), 'the crashed container\'s own lines (its previous run)');
    assert.ok(lines.includes('-----> Rolling back to v1'), lines.join('\n'));
    const dep = await deployment('web');
    assert.equal(dep.metadata?.labels?.['app.kubernetes.io/version'], 'v1');
    assert.equal(dep.spec?.template.spec?.containers[0]?.image, web, 'v1 image applied again');
    await eventually('only v1 pods', async () => ((await pods()).filter((p) => !p.metadata?.deletionTimestamp).every((p) => p.metadata?.labels?.['paas.dev/release'] === '1') ? true : undefined));
    const webPods = (await pods()).filter((p) => p.metadata?.labels?.['app.kubernetes.io/component'] === 'web' && running(p));
    assert.deepEqual(names(webPods), before, 'the same v1 pods, never replaced');
    allFromV1(answers);
  });

  test('a release that never answers on its port fails when its pod stays unready past the boot timeout, and is rolled back', async () => {
    const { err, answers, ms } = await failingDeploy(kubeSpec('shop', 3, { image: await appImage('silent'), processes: live.processes }));
    assert.match(err.message, /: Unready \(readiness probe failed for \d+s/);
    assert.ok(ms >= w.config.bootTimeoutMs, `not before the boot timeout (${ms} ms)`);
    assert.equal(err.rolledBackTo, 1);
    assert.ok(err.lastLines.includes('booting silent v3'), err.lastLines.join('\n'));
    allFromV1(answers);
  });

  test('an image that is not in the registry fails the rollout at ErrImagePull/ImagePullBackOff; a failed first release leaves no Deployments', async () => {
    const { err, answers } = await failingDeploy(kubeSpec('shop', 4, { processes: live.processes }));
    assert.match(err.message, /: (ErrImagePull|ImagePullBackOff) \(/);
    assert.equal(err.rolledBackTo, 1);
    allFromV1(answers);
    const fresh = await runtime.deploy(kubeSpec('fresh', 1), () => undefined).then(() => undefined, (e: unknown) => e);
    assert.ok(fresh instanceof RolloutFailedError, String(fresh));
    assert.equal(fresh.rolledBackTo, undefined, 'nothing to go back to');
    assert.deepEqual((await w.kube.apps.listNamespacedDeployment({ namespace: w.appNamespace('fresh') })).items.map((d) => d.metadata?.name), []);
    // A previous release the API server refuses (replicas -1 passes our validation, not the server's): the push still
    // gets a RolloutFailedError that names both failures, not an internal error after "Rolling back".
    const refused = kubeSpec('fresh', 1, { image: web, processes: [{ type: 'web', command: '', quantity: -1 }] });
    const both = await runtime.deploy(kubeSpec('fresh', 2), () => undefined, refused).then(() => undefined, (e: unknown) => e);
    assert.ok(both instanceof RolloutFailedError, String(both));
    assert.match(both.message, /: (ErrImagePull|ImagePullBackOff) \(.*; rolling back to v1 failed too: Kubernetes refused to apply Deployment .*replicas/);
    assert.equal(both.rolledBackTo, undefined);
  });

  test('probes: a release whose app.json startup check path fails is held by its readiness and rolled back', async () => {
    const healthchecks = [{ name: 'health', path: '/health', attempts: 30, waitSeconds: 1, timeoutSeconds: 1, initialDelaySeconds: 0 }];
    const spec = kubeSpec('shop', 5, { image: await appImage('unhealthy'), processes: live.processes, healthchecks });
    const applied: string[] = [];
    const { err, answers } = await failingDeploy(spec, applied);
    assert.match(err.message, /: Unready \(/, 'its pod answered on the port, but not on the path');
    assert.equal(err.rolledBackTo, 1);
    assert.ok(err.lastLines.some((l) => l === 'GET /health'), `the kubelet probed the path: ${err.lastLines.join('\n')}`);
    allFromV1(answers);
    // The same check passes on an app whose path answers: v1's image serves /health with 200.
    live = kubeSpec('shop', 6, { image: web, processes: live.processes, healthchecks });
    await runtime.deploy(live, () => undefined, kubeSpec('shop', 1, { image: web, processes: live.processes }));
    const probe = (await deployment('web')).spec?.template.spec?.containers[0];
    assert.deepEqual(probe?.readinessProbe?.httpGet?.path, '/health');
    assert.equal(probe?.readinessProbe?.tcpSocket, undefined, 'the TCP probe v1 applied is gone (server-side apply drops what the manager stopped applying)');
    await serviceAnswers(w.kube, NS, /^release v6 /);
  });

  test('the release phase runs as a Job with the new image and config and streams its output; a failure stops before the Deployments change', async () => {
    const lines: string[] = [];
    await runtime.runRelease(kubeSpec('shop', 7, { image: web }), 'node /app/migrate.js 0', (l) => lines.push(l), live);
    assert.deepEqual(lines, ['-----> Running release command: node /app/migrate.js 0', '       Migrating v7 greeting hello', '       done']);
    const job = await w.kube.batch.readNamespacedJob({ namespace: NS, name: 'release-v7' });
    assert.equal(job.spec?.template.spec?.containers[0]?.image, web);
    assert.equal(job.status?.succeeded, 1);
    lines.length = 0;
    const err = await runtime.runRelease(kubeSpec('shop', 8, { image: web, config: { GREETING: 'v8' } }), 'node /app/migrate.js 3', (l) => lines.push(l), live)
      .then(() => undefined, (e: unknown) => e);
    assert.match(String(err), /release command failed \(exit 3\)/);
    assert.deepEqual(lines.slice(1), ['       Migrating v8 greeting v8', '       relation "users" already exists']);
    assert.equal((await deployment('web')).metadata?.labels?.['app.kubernetes.io/version'], 'v6', 'Deployments untouched');
    const secret = await w.kube.core.readNamespacedSecret({ namespace: NS, name: 'config-vars' });
    assert.equal(Buffer.from(secret.data!.GREETING!, 'base64').toString(), 'hello', 'the live config is put back');
    await serviceAnswers(w.kube, NS, /^release v6 greeting hello /);
  });

  test('a config change rolls the pods: the template hash changes, new pods replace the old and answer with the new value', async () => {
    const hash = async () => (await deployment('web')).spec?.template.metadata?.annotations?.['paas.dev/config-hash'];
    const before = await hash();
    const old = names(await pods('app.kubernetes.io/component=web'));
    const next = kubeSpec('shop', 9, { image: web, processes: live.processes, config: { GREETING: 'bonjour' } });
    await runtime.deploy(next, () => undefined, live);
    live = next;
    assert.notEqual(await hash(), before);
    await serviceAnswers(w.kube, NS, /^release v9 greeting bonjour /);
    const now = (await pods('app.kubernetes.io/component=web')).filter(running);
    assert.equal(now.length, 2);
    assert.ok(now.every((p) => !old.includes(p.metadata!.name!)), 'new pods');
  });

  test("scale patches replicas; ps shows the pods; logs prints the kubelet's lines and follows them", async () => {
    await runtime.scale('shop', { web: 3, worker: 0 });
    const dep = await deployment('web');
    assert.equal(dep.spec?.replicas, 3);
    assert.equal((await deployment('worker')).spec?.replicas, 0);
    // Only the replicas changed hands: the merge patch is an Update of ours, the rest stays applied.
    assert.ok(dep.metadata?.managedFields?.some((m) => m.manager === FIELD_MANAGER && m.operation === 'Update'));
    // The worker's pod may still be stopping (ps shows it so); web's three are up.
    const ps = await eventually('3 web up', async () => {
      const rows = await runtime.status('shop');
      const webRows = rows.filter((p) => p.type === 'web');
      assert.ok(rows.every((p) => p.type === 'web' || p.state === 'stopping'), JSON.stringify(rows));
      return webRows.map((p) => `${p.type}.${p.index} ${p.state} v${p.version}`).join() === 'web.1 up v9,web.2 up v9,web.3 up v9' ? webRows : undefined;
    });
    assert.ok(ps.every((p) => p.name?.startsWith('web-') && p.restarts === 0));
    const mine = names((await pods('app.kubernetes.io/component=web')).filter(running));
    const all = await runtime.statusAll(['shop']);
    assert.equal(all.filter((p) => mine.includes(p.name!)).length, 3, 'the snapshot across namespaces sees them');

    const mark = `/probe-${Date.now()}`;
    await askService(w.kube, NS, mark);
    const tail = await eventually('the request in the log', async () => {
      const out: string[] = [];
      await runtime.logs('shop', { lines: 50, follow: false, signal: new AbortController().signal }, (l) => out.push(l));
      return out.some((l) => l.endsWith(`: GET ${mark}`)) ? out : undefined;
    }, 20_000);
    const line = tail.find((l) => l.endsWith(`: GET ${mark}`))!;
    assert.match(line, /^\d{4}-\d\d-\d\dT\S+Z app\[web\.\w+\]: GET \/probe-\d+$/);
    assert.ok(tail.some((l) => /app\[web\.\w+\]: listening on 5000$/.test(l)), tail.join('\n'));
    const stamps = tail.map((l) => l.slice(0, l.indexOf(' ')));
    assert.deepEqual(stamps, [...stamps].sort(), 'ordered by time across pods');

    const out: string[] = [];
    const abort = new AbortController();
    let tailEnd = false;
    const following = runtime.logs('shop', { lines: 0, follow: true, signal: abort.signal, onTailEnd: () => { tailEnd = true; } }, (l) => out.push(l));
    await eventually('the tail', async () => (tailEnd ? true : undefined));
    const marks = [`/a-${Date.now()}`, `/b-${Date.now()}`];
    // Through the Service each request lands on any of the 3 pods: every pod is followed.
    await eventually('both requests followed', async () => {
      for (const m of marks) if (!out.some((l) => l.endsWith(`: GET ${m}`))) await getFromService(w.kube, NS, m);
      return marks.every((m) => out.some((l) => l.endsWith(`: GET ${m}`))) ? true : undefined;
    }, 20_000);
    abort.abort();
    await following;
  });

  test('restart rolls the pods of one type, or all, as kubectl rollout restart does', async () => {
    await runtime.scale('shop', { web: 1, worker: 1 });
    const byType = async (type: string) => names((await pods(`app.kubernetes.io/component=${type}`)).filter(running));
    const settled = (type: string, n: number) => eventually(`${n} ${type} pod running`, async () => {
      const list = (await pods(`app.kubernetes.io/component=${type}`)).filter((p) => !p.metadata?.deletionTimestamp);
      if (list.length === n && list.every((p) => running(p) && p.status?.containerStatuses?.[0]?.ready)) return names(list);
      throw new Error(list.map((p) => `${p.metadata?.name} ${p.status?.phase}${p.metadata?.deletionTimestamp ? ' deleting' : ''} ready=${p.status?.containerStatuses?.[0]?.ready}`).join(', '));
    });
    const [web1, worker1] = [await settled('web', 1), await settled('worker', 1)];
    const lines: string[] = [];
    await runtime.restart('shop', 'worker', (l) => lines.push(l));
    const restartedAt = async (name: string) => (await deployment(name)).spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
    assert.ok(await restartedAt('worker'));
    assert.equal(await restartedAt('web'), undefined, 'only the type asked for');
    const worker2 = await eventually('a new worker pod', async () => {
      const now = await settled('worker', 1).catch(() => undefined);
      return now && !worker1.includes(now[0]!) ? now : undefined;
    });
    assert.equal(worker2.length, 1);
    assert.deepEqual(await byType('web'), web1);
    await runtime.restart('shop', undefined, (l) => lines.push(l));
    await eventually('a new web pod', async () => {
      const now = await settled('web', 1).catch(() => undefined);
      return now && !web1.includes(now[0]!) ? now : undefined;
    });
    assert.deepEqual(lines, ['-----> Restarting deployment "worker"', '-----> Restarting deployment "web"', '-----> Restarting deployment "worker"']);
    await assert.rejects(runtime.restart('shop', 'clock'), { code: 'E_PROCESS_TYPE_UNKNOWN' });
  });

  test('certs:add: the upload is a TLS Secret with an Ingress of its own, and both go when it is removed', async () => {
    const spec = { ...live, domains: ['www.shop.example'] };
    const edge = { redirectHttps: true, hsts: false, uploaded: { cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', key: '-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n', hosts: ['www.shop.example'] } };
    await runtime.setDomains('shop', ['www.shop.example'], { ...spec, edge });
    const ingress = (name: string) => w.kube.objects.read({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: NS } } as never) as Promise<KubernetesObject & { spec: { rules: Array<{ host: string }>; tls?: unknown } }>;
    const secret = await w.kube.core.readNamespacedSecret({ namespace: NS, name: 'uploaded-tls' });
    assert.equal(secret.type, 'kubernetes.io/tls');
    const uploaded = await ingress('web-uploaded');
    assert.deepEqual(JSON.parse(JSON.stringify(uploaded.spec.tls)), [{ hosts: ['www.shop.example'], secretName: 'uploaded-tls' }]);
    assert.equal(uploaded.metadata?.annotations?.['nginx.ingress.kubernetes.io/ssl-redirect'], 'true');
    assert.deepEqual((await ingress('web')).spec.rules.map((r) => r.host), ['shop.apps.test']);
    await runtime.setDomains('shop', ['www.shop.example'], { ...spec, edge: { redirectHttps: false, hsts: false } });
    await assert.rejects(w.kube.core.readNamespacedSecret({ namespace: NS, name: 'uploaded-tls' }), { code: 404 });
    await assert.rejects(ingress('web-uploaded'), { code: 404 });
    assert.deepEqual((await ingress('web')).spec.rules.map((r) => r.host), ['shop.apps.test', 'www.shop.example']);
  });

  test('destroy deletes everything labelled for the app, then its namespace goes', async () => {
    await runtime.stop('shop');
    await namespaceGone(w.kube, NS);
    for (const [apiVersion, kind] of [['apps/v1', 'Deployment'], ['v1', 'Pod'], ['v1', 'Service'], ['v1', 'Secret'], ['batch/v1', 'Job']] as const) {
      const left = await w.kube.objects.list(apiVersion, kind, NS).then((l) => l.items, () => [] as KubernetesObject[]);
      assert.deepEqual(left.map((o) => o.metadata?.name), [], `no ${kind} left`);
    }
    assert.deepEqual(await runtime.status('shop'), []);
  });
});
