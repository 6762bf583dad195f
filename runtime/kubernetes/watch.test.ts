// runtime/kubernetes/watch.test.ts — the informers over the stand-in API server: they list, then watch from the
// list's resourceVersion; resume where they left off when the server ends a watch; list again after 410 Gone
// (reporting what went meanwhile); watch again after an error; and stop without leaving a watch open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { startKubeWorld } from '../../test/support/kubernetes.ts';
import { statusOf, type Kube } from './client.ts';
import { podInformer, type Informed } from './watch.ts';

const PODS = '/api/v1/namespaces/paas/pods';

function createPod(kube: Kube, name: string, app = 'shop'): Promise<V1Pod> {
  return kube.core.createNamespacedPod({ namespace: 'paas', body: { metadata: { name, labels: { app } }, spec: { containers: [{ name: 'web', image: 'x' }] } } });
}

const names = (informer: Informed<KubernetesObject>) => informer.list().map((o) => o.metadata!.name!).sort();

/** Resolves once the informer's cache passes the check (now, or after one of its changes). */
function when(informer: Informed<KubernetesObject>, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const look = () => { if (!check()) return; informer.off('change', look); resolve(); };
    informer.on('change', look);
    look();
  });
}

async function world(t: import('node:test').TestContext) {
  const w = await startKubeWorld(t);
  const requests = (watch: boolean) => w.standIn.requests.filter((r) => r.method === 'GET' && r.path === PODS && (r.query.get('watch') === 'true') === watch);
  return { ...w, lists: () => requests(false), watches: () => requests(true) };
}

test('an informer lists, watches from the list\'s resourceVersion, and resumes from where it was when the server ends the watch', { timeout: 20_000 }, async (t) => {
  const { kube, standIn, lists, watches } = await world(t);
  await createPod(kube, 'a');
  await createPod(kube, 'other', 'blog');
  const listedAt = String(standIn.store.resourceVersion);
  let changes = 0;
  const pods = podInformer(kube, 'paas', { labelSelector: 'app=shop' }, () => { changes++; });
  t.after(() => pods.stop());
  await pods.start();
  assert.deepEqual(names(pods), ['a'], 'the listed pods are there once started');
  assert.equal(lists().length, 1);
  assert.deepEqual(Object.fromEntries(watches()[0]!.query), { watch: 'true', resourceVersion: listedAt, labelSelector: 'app=shop' });
  await createPod(kube, 'b');
  await when(pods, () => names(pods).includes('b'));
  standIn.endWatches();
  // Changes while the watch is down (or just back) are seen once, from the resourceVersion it had reached.
  await kube.core.deleteNamespacedPod({ namespace: 'paas', name: 'a' });
  await createPod(kube, 'c');
  await when(pods, () => names(pods).join() === 'b,c');
  assert.equal(changes, 4, 'each change once: a listed, b added, a deleted, c added');
  assert.equal(lists().length, 1, 'resumed without listing again');
  assert.ok(watches().length >= 2);
  assert.ok(Number(watches()[1]!.query.get('resourceVersion')) > Number(listedAt), 'the second watch resumes past the list');
  assert.deepEqual(pods.get('b', 'paas')?.metadata?.labels, { app: 'shop' });
});

test('after an error the informer watches again; after 410 Gone it lists again and reports what went meanwhile', { timeout: 20_000 }, async (t) => {
  const { kube, standIn, lists } = await world(t);
  await createPod(kube, 'a');
  const pods = podInformer(kube, 'paas', { labelSelector: 'app=shop' }, () => undefined);
  t.after(() => pods.stop());
  const errors: unknown[] = [];
  const failed = new Promise<void>((resolve) => pods.on('error', (err) => { errors.push(err); resolve(); }));
  const deleted: string[] = [];
  pods.on('delete', (p) => deleted.push(p.metadata!.name!));
  await pods.start();
  standIn.watchFault = 500;
  standIn.endWatches();
  await failed;
  assert.equal(statusOf(errors[0]), 500);
  // While it cannot watch, a goes and b comes, and the history that says so is compacted away.
  await kube.core.deleteNamespacedPod({ namespace: 'paas', name: 'a' });
  await createPod(kube, 'b');
  standIn.store.compact();
  standIn.watchFault = undefined;
  await when(pods, () => names(pods).join() === 'b');
  assert.deepEqual(deleted, ['a'], 'the new list tells the deletion it missed');
  assert.equal(lists().length, 2, 'listed again after 410 Gone');
  await createPod(kube, 'c');
  await when(pods, () => names(pods).join() === 'b,c');
});

test('stop closes the watch; an informer stopped while it lists opens none', { timeout: 20_000 }, async (t) => {
  const { kube, standIn, watches } = await world(t);
  await createPod(kube, 'a');
  const pods = podInformer(kube, 'paas', {}, () => undefined);
  await pods.start();
  assert.equal(watches().length, 1);
  await pods.stop();
  await standIn.watchesClosed();
  const early: Informed<V1Pod> = podInformer(kube, 'paas', {}, () => void early.stop());
  await early.start();
  assert.deepEqual(names(early), ['a'], 'the list was read');
  assert.equal(watches().length, 1, 'no watch after a stop during the list');
});
