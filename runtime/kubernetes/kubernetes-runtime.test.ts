// runtime/kubernetes/kubernetes-runtime.test.ts — the Kubernetes runtime driver against the stand-in API
// server through the real client: rollouts (happy, failed with rollback), the release phase, a config change rolling
// pods, scale, ps, logs and destroy. Every object the runtime applied is checked with the validator too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeSpec, scriptReleases, startKubeWorld } from '../../test/support/kubernetes.ts';
import { RolloutFailedError } from '../driver.ts';
import { FIELD_MANAGER } from './apply.ts';
import { KubernetesRuntime } from './kubernetes-runtime.ts';
import type { KubeObject } from './manifests.ts';
import { objectProblems } from './validate.ts';

const NS = 'paas-app-shop';

async function world(t: import('node:test').TestContext) {
  const w = await startKubeWorld(t);
  return { ...w, runtime: new KubernetesRuntime(w.kube, w.config), lines: [] as string[] };
}

test('deploy applies every object with server-side apply under one field manager and waits for the rollout', async (t) => {
  const w = await world(t);
  const spec = kubeSpec('shop', 1, { processes: [{ type: 'web', command: 'npm start', quantity: 2 }, { type: 'worker', command: 'node w.js', quantity: 1 }], domains: ['shop.example.com'] });
  await w.runtime.deploy(spec, (l) => w.lines.push(l));
  const applies = w.standIn.requests.filter((r) => r.method === 'PATCH');
  assert.ok(applies.length >= 7);
  for (const r of applies) {
    assert.equal(r.contentType, 'application/apply-patch+yaml');
    assert.equal(r.query.get('fieldManager'), FIELD_MANAGER);
    assert.equal(r.query.get('force'), 'true');
  }
  const web = w.standIn.find('apps/v1', 'Deployment', NS, 'web')!;
  assert.equal((web.spec as { replicas: number }).replicas, 2);
  assert.equal(w.standIn.list('v1', 'Pod', NS, 'app.kubernetes.io/component=web').length, 2);
  assert.deepEqual((w.standIn.find('networking.k8s.io/v1', 'Ingress', NS, 'web')!.spec as { rules: Array<{ host: string }> }).rules.map((r) => r.host), ['shop.apps.test', 'shop.example.com']);
  for (const kind of [['v1', 'Secret', 'config-vars'], ['v1', 'ConfigMap', 'platform'], ['v1', 'Service', 'web'], ['apps/v1', 'Deployment', 'worker']] as const) {
    const obj = w.standIn.find(kind[0], kind[1], NS, kind[2])!;
    assert.ok(obj, `${kind[1]} ${kind[2]} exists`);
    const { metadata, ...rest } = obj;
    const applied = { ...rest, metadata: { name: metadata.name, namespace: metadata.namespace, labels: metadata.labels, annotations: metadata.annotations } } as unknown as KubeObject;
    assert.deepEqual(objectProblems(applied).filter((p) => !p.includes('status')), [], `${kind[1]} stored as valid`);
  }
  assert.ok(w.lines.includes('-----> Applying v1 to namespace paas-app-shop'));
  assert.ok(w.lines.some((l) => l === '       deployment "web" successfully rolled out'), w.lines.join('\n'));
});

test('a rollout stuck in CrashLoopBackOff fails fast with the pod\'s last lines and goes back to the previous release', async (t) => {
  const w = await world(t);
  await w.runtime.deploy(kubeSpec('shop', 1), () => undefined);
  w.standIn.sim.deploymentBehaviour = (dep) => {
    const image = (dep.spec as { template: { spec: { containers: Array<{ image: string }> } } }).template.spec.containers[0]!.image;
    return image.endsWith('2'.repeat(64)) ? { kind: 'waiting', reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container', logs: ['booting', 'Error: Cannot find module express'] } : { kind: 'ready' };
  };
  const started = Date.now();
  const err = await w.runtime.deploy(kubeSpec('shop', 2), (l) => w.lines.push(l), kubeSpec('shop', 1)).then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RolloutFailedError, String(err));
  assert.ok(Date.now() - started < 10_000, 'fails fast, not at the progress deadline');
  assert.equal(err.rolledBackTo, 1);
  assert.match(err.message, /CrashLoopBackOff \(back-off 10s restarting failed container\)/);
  assert.deepEqual(err.lastLines, ['booting', 'Error: Cannot find module express']);
  assert.ok(w.lines.includes('-----> Rolling back to v1'), w.lines.join('\n'));
  const web = w.standIn.find('apps/v1', 'Deployment', NS, 'web')!;
  assert.match(JSON.stringify(web.spec), /1{64}/, 'v1 image applied again');
  assert.equal((web.metadata.labels as Record<string, string>)['app.kubernetes.io/version'], 'v1');
  assert.deepEqual(w.standIn.list('v1', 'Pod', NS).map((p) => (p.metadata.labels as Record<string, string>)['paas.dev/release']), ['1'], 'v1 pods serve again; the crashing ones are gone');
});

test('ImagePullBackOff, failed readiness and ProgressDeadlineExceeded fail the rollout too', async (t) => {
  const w = await world(t);
  const cases: Array<[import('../../test/support/kube-stand-in/sim.ts').DeploymentBehaviour, RegExp]> = [
    [{ kind: 'waiting', reason: 'ImagePullBackOff', message: 'Back-off pulling image' }, /ImagePullBackOff/],
    [{ kind: 'waiting', reason: 'ErrImagePull', message: 'manifest unknown' }, /ErrImagePull/],
    [{ kind: 'unready', logs: ['listening on 3000'] }, /Unready \(readiness probe failed/],
    [{ kind: 'deadline' }, /exceeded its progress deadline/],
  ];
  let version = 0;
  for (const [behaviour, expected] of cases) {
    w.standIn.sim.deploymentBehaviour = () => behaviour;
    const err = await w.runtime.deploy(kubeSpec('shop', ++version), () => undefined).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RolloutFailedError, `${behaviour.kind}: ${String(err)}`);
    assert.match(err.message, expected);
    assert.equal(err.rolledBackTo, undefined, 'nothing to go back to');
    assert.equal(w.standIn.list('apps/v1', 'Deployment', NS).length, 0, 'the failing first release is removed');
  }
});

test('the release phase runs as a Job with the new image and streams its output; a failure stops before the Deployments change', async (t) => {
  const w = await world(t);
  await w.runtime.deploy(kubeSpec('shop', 1), () => undefined);
  scriptReleases(w.standIn, (run) => (run.job.metadata.name === 'release-v2'
    ? { lines: ['Migrating…', 'done'], exitCode: 0 } : { lines: ['Migrating…', 'relation "users" already exists'], exitCode: 3 }));
  await w.runtime.runRelease(kubeSpec('shop', 2), 'npm run migrate', (l) => w.lines.push(l), kubeSpec('shop', 1));
  assert.deepEqual(w.lines, ['-----> Running release command: npm run migrate', '       Migrating…', '       done']);
  const job = w.standIn.find('batch/v1', 'Job', NS, 'release-v2')!;
  assert.match(JSON.stringify(job.spec), /2{64}/, 'the new image');
  w.lines.length = 0;
  const err = await w.runtime.runRelease(kubeSpec('shop', 3, { config: { GREETING: 'v3' } }), 'npm run migrate', (l) => w.lines.push(l), kubeSpec('shop', 1))
    .then(() => undefined, (e: unknown) => e);
  assert.match(String(err), /release command failed \(exit 3\)/);
  assert.deepEqual(w.lines.slice(1), ['       Migrating…', '       relation "users" already exists']);
  const web = w.standIn.find('apps/v1', 'Deployment', NS, 'web')!;
  assert.equal((web.metadata.labels as Record<string, string>)['app.kubernetes.io/version'], 'v1', 'Deployments untouched');
  const secret = w.standIn.find('v1', 'Secret', NS, 'config-vars')!;
  assert.equal(Buffer.from((secret.data as Record<string, string>).GREETING!, 'base64').toString(), 'hello', 'the live config is put back');
});

test('a config change rolls the pods: the template hash changes and new pods replace the old', async (t) => {
  const w = await world(t);
  await w.runtime.deploy(kubeSpec('shop', 1), () => undefined);
  const hash = () => (w.standIn.find('apps/v1', 'Deployment', NS, 'web')!.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations['paas.dev/config-hash'];
  const before = hash();
  const oldPods = w.standIn.list('v1', 'Pod', NS).map((p) => p.metadata.name);
  await w.runtime.deploy(kubeSpec('shop', 2, { image: kubeSpec('shop', 1).image, config: { GREETING: 'bonjour' } }), () => undefined, kubeSpec('shop', 1));
  assert.notEqual(hash(), before);
  const newPods = w.standIn.list('v1', 'Pod', NS).map((p) => p.metadata.name);
  assert.equal(newPods.length, 1);
  assert.ok(!oldPods.includes(newPods[0]!), 'a new pod');
  const secret = w.standIn.find('v1', 'Secret', NS, 'config-vars')!;
  assert.equal(Buffer.from((secret.data as Record<string, string>).GREETING!, 'base64').toString(), 'bonjour');
});

test('scale patches replicas; ps shows the pods; logs prints and follows them; destroy deletes everything labelled for the app', async (t) => {
  const w = await world(t);
  await w.runtime.deploy(kubeSpec('shop', 1, { processes: [{ type: 'web', command: 'x', quantity: 1 }, { type: 'worker', command: 'w', quantity: 1 }] }), () => undefined);
  await w.runtime.scale('shop', { web: 3, worker: 0 });
  const replicas = (name: string) => (w.standIn.find('apps/v1', 'Deployment', NS, name)!.spec as { replicas: number }).replicas;
  assert.deepEqual([replicas('web'), replicas('worker')], [3, 0]);
  assert.ok(w.standIn.requests.some((r) => r.method === 'PATCH' && r.contentType === 'application/merge-patch+json'));
  await w.standIn.sim.settle();
  const ps = await w.runtime.status('shop');
  assert.deepEqual(ps.map((p) => `${p.type}.${p.index} ${p.state} v${p.version}`), ['web.1 up v1', 'web.2 up v1', 'web.3 up v1']);
  assert.ok(ps.every((p) => p.name?.startsWith('web-')));
  const pods = w.standIn.list('v1', 'Pod', NS);
  w.standIn.logs.append(NS, pods[0]!.metadata.name, 'web', 'GET / 200');
  const out: string[] = [];
  const abort = new AbortController();
  const following = w.runtime.logs('shop', { lines: 10, follow: true, signal: abort.signal }, (l) => out.push(l));
  await waitUntil(() => out.length === 1);
  assert.match(out[0]!, /^\S+ app\[web\.\w+\]: GET \/ 200$/);
  w.standIn.logs.append(NS, pods[1]!.metadata.name, 'web', 'GET /other 404');
  await waitUntil(() => out.length === 2);
  assert.match(out[1]!, /app\[web\.\w+\]: GET \/other 404$/);
  abort.abort();
  await following;
  await w.runtime.stop('shop');
  await w.standIn.sim.settle();
  for (const [apiVersion, kind] of [['apps/v1', 'Deployment'], ['v1', 'Pod'], ['v1', 'Service'], ['v1', 'Secret'], ['v1', 'ConfigMap'], ['networking.k8s.io/v1', 'Ingress'], ['batch/v1', 'Job'], ['v1', 'Namespace']] as const) {
    assert.deepEqual(w.standIn.list(apiVersion, kind, undefined, 'app.kubernetes.io/instance=shop'), [], `no ${kind} left`);
  }
});

test('restart sets kubectl.kubernetes.io/restartedAt on the pod templates with a merge patch, as kubectl rollout restart does: new pods replace the old', async (t) => {
  const w = await world(t);
  await w.runtime.deploy(kubeSpec('shop', 1, { processes: [{ type: 'web', command: 'x', quantity: 1 }, { type: 'worker', command: 'w', quantity: 1 }] }), () => undefined);
  await w.standIn.sim.settle();
  const restartedAt = (name: string) => (w.standIn.find('apps/v1', 'Deployment', NS, name)!.spec as { template: { metadata: { annotations?: Record<string, string> } } }).template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'];
  const pods = (component: string) => w.standIn.list('v1', 'Pod', NS, `app.kubernetes.io/component=${component}`).map((p) => p.metadata.name);
  const [web1, worker1] = [pods('web'), pods('worker')];
  await w.runtime.restart('shop', 'worker', (l) => w.lines.push(l));
  assert.ok(restartedAt('worker'));
  assert.equal(restartedAt('web'), undefined, 'only the type asked for');
  assert.ok(w.standIn.requests.some((r) => r.method === 'PATCH' && r.contentType === 'application/merge-patch+json' && r.path.endsWith('/deployments/worker')));
  await w.standIn.sim.settle();
  assert.equal(pods('worker').length, 1);
  assert.ok(!worker1.includes(pods('worker')[0]!), 'a new worker pod');
  assert.deepEqual(pods('web'), web1);
  await w.runtime.restart('shop', undefined, (l) => w.lines.push(l));
  assert.ok(restartedAt('web'));
  await w.standIn.sim.settle();
  assert.ok(!web1.includes(pods('web')[0]!), 'a new web pod');
  assert.deepEqual(w.lines, ['-----> Restarting deployment "worker"', '-----> Restarting deployment "web"', '-----> Restarting deployment "worker"']);
  await assert.rejects(w.runtime.restart('shop', 'clock'), { code: 'E_PROCESS_TYPE_UNKNOWN' });
});

test('certs:add in Kubernetes mode: the upload is a TLS Secret with an Ingress of its own, and both go when it is removed', async (t) => {
  const w = await world(t);
  const spec = kubeSpec('shop', 1, { domains: ['www.shop.example'] });
  await w.runtime.deploy(spec, () => undefined);
  const edge = { redirectHttps: true, hsts: false, uploaded: { cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', key: '-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n', hosts: ['www.shop.example'] } };
  await w.runtime.setDomains('shop', ['www.shop.example'], { ...spec, edge });
  const secret = w.standIn.find('v1', 'Secret', NS, 'uploaded-tls')!;
  assert.equal((secret as { type?: string }).type, 'kubernetes.io/tls');
  const uploaded = w.standIn.find('networking.k8s.io/v1', 'Ingress', NS, 'web-uploaded')!;
  assert.deepEqual((uploaded.spec as { tls: unknown }).tls, [{ hosts: ['www.shop.example'], secretName: 'uploaded-tls' }]);
  assert.equal((uploaded.metadata as { annotations?: Record<string, string> }).annotations?.['nginx.ingress.kubernetes.io/ssl-redirect'], 'true');
  assert.deepEqual((w.standIn.find('networking.k8s.io/v1', 'Ingress', NS, 'web')!.spec as { rules: Array<{ host: string }> }).rules.map((r) => r.host), ['shop.apps.test']);
  await w.runtime.setDomains('shop', ['www.shop.example'], { ...spec, edge: { redirectHttps: false, hsts: false } });
  assert.equal(w.standIn.find('v1', 'Secret', NS, 'uploaded-tls'), undefined);
  assert.equal(w.standIn.find('networking.k8s.io/v1', 'Ingress', NS, 'web-uploaded'), undefined);
  assert.deepEqual((w.standIn.find('networking.k8s.io/v1', 'Ingress', NS, 'web')!.spec as { rules: Array<{ host: string }> }).rules.map((r) => r.host), ['shop.apps.test', 'www.shop.example']);
});

async function waitUntil(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
