// runtime/kubernetes/watch.test.ts — a LiveSet starts from the collection's current objects, follows
// changes, and picks up where it left off when the server closes the watch (as API servers do now and then).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { startKubeWorld } from '../../test/support/kubernetes.ts';
import { LiveSet } from './watch.ts';

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a LiveSet lists, follows, and reconnects from its last resourceVersion when the stream ends', async (t) => {
  const { kube, standIn } = await startKubeWorld(t);
  const create = (name: string, value: string) => kube.core.createNamespacedConfigMap({ namespace: 'paas', body: { metadata: { name }, data: { value } } });
  await create('a', '1');
  let changes = 0;
  // The stand-in ends each watch after a second, so this set has to reconnect to see b and c.
  const set = new LiveSet<V1ConfigMap>(kube, '/api/v1/namespaces/paas/configmaps', { timeoutSeconds: '1' }, () => { changes++; });
  t.after(() => set.stop());
  const watches = () => standIn.requests.filter((r) => r.query.get('watch') === 'true');
  await set.start();
  await until(() => set.items.has('a'));
  await until(() => watches().length >= 2); // the first watch ended and the set came back
  await create('b', '2');
  await kube.core.deleteNamespacedConfigMap({ namespace: 'paas', name: 'a' });
  await until(() => set.items.has('b') && !set.items.has('a'));
  await until(() => watches().length >= 3);
  await create('c', '3');
  await until(() => set.items.has('c'));
  assert.deepEqual([...set.items.keys()].sort(), ['b', 'c']);
  assert.equal(changes, 4, 'each event once: a added, b added, a deleted, c added');
  assert.ok(watches().slice(1).every((w) => Number(w.query.get('resourceVersion')) > 0), 'each reconnect resumes from where it left off');
});
