// test/support/kube-stand-in/stand-in.test.ts — the stand-in API server answers the real @kubernetes/client-node
// the way a cluster does: discovery, server-side apply with field managers and conflicts, resourceVersion and 409
// on stale updates, 404s, watch (410 after a compaction, ended or failed on demand), and pod logs with follow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ApiException, PatchStrategy, Watch, type KubernetesObject, type V1ConfigMap } from '@kubernetes/client-node';
import { connectKube } from '../../../runtime/kubernetes/client.ts';
import { startStandIn } from './server.ts';

async function setup(t: import('node:test').TestContext) {
  const standIn = await startStandIn();
  t.after(() => standIn.close());
  const kube = connectKube(standIn.kubeConfig());
  await kube.core.createNamespace({ body: { metadata: { name: 'demo' } } });
  return { standIn, kube };
}

const cm = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: 'demo' }, data });

async function rejected(p: Promise<unknown>): Promise<ApiException<unknown>> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
    return err;
  }
  throw new Error('expected a rejection');
}

test('server-side apply creates, merges, owns fields per manager, and refuses conflicts unless forced', async (t) => {
  const { kube } = await setup(t);
  const apply = (obj: object, manager: string, force?: boolean) =>
    kube.objects.patch(obj as KubernetesObject, undefined, undefined, manager, force, PatchStrategy.ServerSideApply) as Promise<V1ConfigMap>;
  const created = await apply(cm({ A: '1', B: '2' }), 'paas-controller');
  assert.deepEqual(created.data, { A: '1', B: '2' });
  assert.deepEqual(created.metadata?.managedFields?.map((m) => [m.manager, m.operation]), [['paas-controller', 'Apply']]);
  const same = await apply(cm({ A: '1', B: '2' }), 'paas-controller');
  assert.equal(same.metadata?.resourceVersion, created.metadata?.resourceVersion, 'a no-op apply keeps the resourceVersion');
  const conflict = await rejected(apply(cm({ A: 'other' }), 'kubectl'));
  assert.equal(conflict.code, 409);
  assert.match(String(conflict.body), /conflict with \\?"paas-controller\\?": .data.A/);
  const forced = await apply(cm({ A: 'other' }), 'kubectl', true);
  assert.deepEqual(forced.data, { A: 'other', B: '2' });
  // paas-controller stops applying B (and lost A to kubectl): B is removed, A stays kubectl's.
  const pruned = await apply(cm({ C: '3' }), 'paas-controller');
  assert.deepEqual(pruned.data, { A: 'other', C: '3' });
  const fieldManagerMissing = await rejected(kube.objects.patch(cm({ A: '1' }) as KubernetesObject, undefined, undefined, undefined, undefined, PatchStrategy.ServerSideApply));
  assert.equal(fieldManagerMissing.code, 400);
});

test('a stale resourceVersion is a 409; a missing object is a 404; schema errors are 422', async (t) => {
  const { kube } = await setup(t);
  const created = await kube.core.createNamespacedConfigMap({ namespace: 'demo', body: cm({ A: '1' }) });
  const updated = await kube.core.replaceNamespacedConfigMap({ namespace: 'demo', name: 'settings', body: { ...created, data: { A: '2' } } });
  assert.notEqual(updated.metadata?.resourceVersion, created.metadata?.resourceVersion);
  assert.equal((await rejected(kube.core.replaceNamespacedConfigMap({ namespace: 'demo', name: 'settings', body: { ...created, data: { A: '3' } } }))).code, 409);
  assert.equal((await rejected(kube.core.createNamespacedConfigMap({ namespace: 'demo', body: cm({}) }))).code, 409, 'AlreadyExists');
  assert.equal((await rejected(kube.core.readNamespacedConfigMap({ namespace: 'demo', name: 'nope' }))).code, 404);
  assert.equal((await rejected(kube.core.deleteNamespacedConfigMap({ namespace: 'demo', name: 'nope' }))).code, 404);
  assert.equal((await rejected(kube.core.createNamespacedConfigMap({ namespace: 'missing', body: { ...cm({}), metadata: { name: 'x', namespace: 'missing' } } }))).code, 404);
  const bad = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'demo' }, spec: { replicas: 'two' } };
  assert.equal((await rejected(kube.objects.patch(bad as KubernetesObject, undefined, undefined, 'm', true, PatchStrategy.ServerSideApply))).code, 422);
});

test('watch replays from a resourceVersion and follows changes', async (t) => {
  const { kube } = await setup(t);
  const first = await kube.core.createNamespacedConfigMap({ namespace: 'demo', body: cm({ A: '1' }) });
  const events: string[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  const ctl = await new Watch(kube.kc).watch('/api/v1/namespaces/demo/configmaps', { resourceVersion: first.metadata?.resourceVersion }, (type, obj: V1ConfigMap) => {
    events.push(`${type} ${obj.data?.A ?? '-'}`);
    if (type === 'DELETED') done();
  }, () => undefined);
  await kube.objects.patch({ ...cm({ A: '3' }) } as KubernetesObject, undefined, undefined, 'm', undefined, PatchStrategy.MergePatch);
  await kube.core.deleteNamespacedConfigMap({ namespace: 'demo', name: 'settings' });
  await finished;
  ctl.abort();
  assert.deepEqual(events, ['MODIFIED 3', 'DELETED 3']);
});

test('a watch from a compacted resourceVersion gets 410 Expired; watches can be failed and ended on demand', async (t) => {
  const { standIn, kube } = await setup(t);
  const first = await kube.core.createNamespacedConfigMap({ namespace: 'demo', body: cm({ A: '1' }) });
  await kube.core.replaceNamespacedConfigMap({ namespace: 'demo', name: 'settings', body: { ...first, data: { A: '2' } } });
  standIn.store.compact();
  const watch = (resourceVersion?: string) => new Promise<{ events: Array<[string, unknown]>; err: unknown }>((resolve, reject) => {
    const events: Array<[string, unknown]> = [];
    new Watch(kube.kc).watch('/api/v1/namespaces/demo/configmaps', { resourceVersion }, (type, obj) => events.push([type, obj]), (err) => resolve({ events, err }))
      .then(() => { if (resourceVersion === undefined) standIn.endWatches(); }, reject);
  });
  const expired = await watch(first.metadata?.resourceVersion);
  assert.equal(expired.events.length, 1);
  assert.equal(expired.events[0]![0], 'ERROR');
  assert.deepEqual(pick(expired.events[0]![1]), { code: 410, reason: 'Expired' });
  const ended = await watch();
  assert.equal(ended.err, null, 'an ended watch is a clean end');
  assert.deepEqual(ended.events.map(([type]) => type), ['ADDED']);
  standIn.watchFault = 503;
  const refused = await watch();
  assert.equal((refused.err as { statusCode?: number } | null)?.statusCode, 503);
  assert.deepEqual(refused.events, []);
  await standIn.watchesClosed();
});

const pick = (o: unknown) => ({ code: (o as { code?: number }).code, reason: (o as { reason?: string }).reason });

test('pod logs: 400 while the container waits, then the whole log, and follow until it ends', async (t) => {
  const { standIn, kube } = await setup(t);
  let run!: import('./sim.ts').JobRun;
  const started = new Promise<void>((resolve) => { standIn.sim.jobScript = (r) => { run = r; resolve(); }; });
  await kube.batch.createNamespacedJob({ namespace: 'demo', body: { metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x' }] } } } } });
  await started;
  const sink = new PassThrough();
  assert.equal((await rejected(kube.log.log('demo', run.pod, 'main', sink, { follow: true }))).code, 400);
  run.start('main');
  run.log('main', 'one');
  let text = '';
  const out = new PassThrough();
  out.on('data', (c) => { text += c; });
  const ended = new Promise<void>((resolve) => out.on('finish', resolve));
  await kube.log.log('demo', run.pod, 'main', out, { follow: true });
  run.log('main', 'two');
  run.exit('main', 0);
  await ended;
  assert.equal(text, 'one\ntwo\n');
  await standIn.sim.settle();
  const job = await kube.batch.readNamespacedJob({ namespace: 'demo', name: 'j' });
  assert.equal(job.status?.succeeded, 1);
  assert.equal(job.status?.conditions?.[0]?.type, 'Complete');
});
