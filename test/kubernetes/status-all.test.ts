// test/kubernetes/status-all.test.ts — two platforms on one cluster (staging and production, say, each with its
// own namespace prefix) each see only their own apps' pods in the controller's snapshot (statusAll), even when both
// have an app of the same name: the pods' labels name the app, not the platform.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appImage } from '../support/kube-images.ts';
import { kubeSpec, startKubeWorld } from '../support/kubernetes.ts';
import { KubernetesRuntime } from '../../runtime/kubernetes/kubernetes-runtime.ts';

test('statusAll lists only the pods in this platform\'s app namespaces, not another platform\'s app of the same name', { timeout: 240_000 }, async (t) => {
  const ours = await startKubeWorld(t);
  const theirs = await startKubeWorld(t);
  const image = await appImage('web');
  await new KubernetesRuntime(theirs.kube, theirs.config).deploy(kubeSpec('shop', 3, { image }), () => undefined);
  const mine = new KubernetesRuntime(ours.kube, ours.config);
  assert.deepEqual(await mine.statusAll(['shop']), [], 'the other platform\'s shop is not ours');
  await mine.deploy(kubeSpec('shop', 1, { image }), () => undefined);
  const rows = await mine.statusAll(['shop']);
  assert.equal(rows.length, 1, JSON.stringify(rows));
  assert.equal(rows[0]!.version, 1, 'our v1, not their v3');
});
