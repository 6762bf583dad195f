// test/kubernetes/autoscaling.test.ts — ps:autoscale on the real test cluster (scripts/test-cluster.sh, Kubernetes
// 1.20): the runtime applies a HorizontalPodAutoscaler in the version discovery picks (v2beta2 there), targeting the
// type's Deployment, keeps the count the autoscaler chose across a new release (replicas handed to their own field
// manager), and deletes it on ps:autoscale:off and when the type goes. No metrics-server runs there: the objects
// and their lifecycle are checked, not scaling under load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, VersionApi, type KubernetesObject } from '@kubernetes/client-node';
import { loadConfig } from '../../core/config.ts';
import { applyObjects, FIELD_MANAGER, REPLICAS_MANAGER } from '../../runtime/kubernetes/apply.ts';
import { isNotFound } from '../../runtime/kubernetes/client.ts';
import { hpaApiVersion } from '../../runtime/kubernetes/discovery.ts';
import { KubernetesRuntime } from '../../runtime/kubernetes/kubernetes-runtime.ts';
import { toKubeRelease, toReleaseObjects, type HorizontalPodAutoscaler } from '../../runtime/kubernetes/manifests.ts';
import type { ProcessSpec, ReleaseSpec } from '../../runtime/types.ts';
import { deleteNamespacesAfter, requireCluster, uniquePrefix } from '../support/cluster.ts';

test('ps:autoscale on the real API server: the HPA in the served version, kept counts across a release, gone on off and with its type', async (t) => {
  const c = requireCluster();
  const prefix = uniquePrefix();
  const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: c.registry, PAAS_NAMESPACE_PREFIX: prefix, PAAS_BASE_DOMAIN: 'apps.test' });
  const ns = `${prefix}shop`;
  deleteNamespacesAfter(t, c.kube, () => [ns]);
  const runtime = new KubernetesRuntime(c.kube, config);
  // An image that is never pulled successfully: the pods wait in ImagePullBackOff, and no app needs to run here.
  const image = `${c.registry}/paas-test/absent@sha256:${'0'.repeat(64)}`;
  const spec = (version: number, processes: ProcessSpec[]): ReleaseSpec => ({
    app: 'shop', version, slugDir: '', pathPrepend: [], env: {}, config: {}, image, processes,
  });
  const web = (quantity: number, autoscale?: ProcessSpec['autoscale']): ProcessSpec => ({ type: 'web', command: 'npm start', quantity, ...(autoscale ? { autoscale } : {}) });
  const worker: ProcessSpec = { type: 'worker', command: 'node worker.js', quantity: 0 };

  // The version discovery picks is the one the server serves: v2 from 1.23 on, v2beta2 before (the test cluster).
  const { minor } = await c.kube.kc.makeApiClient(VersionApi).getCode();
  const expected = Number.parseInt(minor, 10) >= 23 ? 'autoscaling/v2' : 'autoscaling/v2beta2';
  const version = await hpaApiVersion(c.kube);
  assert.equal(version, expected);
  assert.equal(await hpaApiVersion(c.kube), version, 'cached per client');

  const hpaRef = { apiVersion: version!, kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: ns } };
  const readHpa = async () => (await c.kube.objects.read(hpaRef)) as unknown as HorizontalPodAutoscaler;
  const hpaGone = async () => readHpa().then(() => false, (err: unknown) => { if (isNotFound(err)) return true; throw err; });
  const deployment = () => c.kube.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  const replicasOwners = async () => ((await deployment()).metadata?.managedFields ?? [])
    .filter((f) => (f.fieldsV1 as { 'f:spec'?: Record<string, unknown> } | undefined)?.['f:spec']?.['f:replicas'] !== undefined).map((f) => f.manager).sort();

  // v1 deployed with web at 3 (ps:scale), then ps:autoscale web --min 2 --max 5 --cpu 60 on the live release.
  await applyObjects(c.kube, toReleaseObjects(config, toKubeRelease(spec(1, [web(3), worker]), config.registry, 1)));
  assert.equal((await deployment()).spec?.replicas, 3);
  await runtime.autoscale('shop', spec(1, [web(3, { min: 2, max: 5, cpu: 60 }), worker]));
  const hpa = await readHpa();
  assert.equal(hpa.apiVersion, version);
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
  assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [2, 5]);
  assert.deepEqual(hpa.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
  assert.equal(hpa.metadata.labels['app.kubernetes.io/instance'], 'shop');
  assert.equal((await deployment()).spec?.replicas, 3, 'turning autoscaling on keeps the count');
  assert.deepEqual(await replicasOwners(), [REPLICAS_MANAGER], 'the controller no longer owns replicas');

  // The autoscaler changes the count (an update under a manager of its own, as the HPA controller's) …
  const scaled = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns }, spec: { replicas: 4 } };
  await c.kube.objects.patch(scaled as KubernetesObject, undefined, undefined, 'hpa-stand-in', undefined, PatchStrategy.MergePatch);
  assert.equal((await deployment()).spec?.replicas, 4);
  // … and a new release (a new pod template: v2) does not reset it.
  await runtime.autoscale('shop', spec(2, [web(3, { min: 2, max: 5, cpu: 60 }), worker]));
  const v2 = await deployment();
  assert.equal(v2.spec?.template.metadata?.labels?.['paas.dev/release'], '2', 'the release was applied');
  assert.equal(v2.spec?.replicas, 4, "a release keeps the autoscaler's count");
  assert.ok(!(await replicasOwners()).includes(FIELD_MANAGER));

  // ps:autoscale:off: the HPA goes, the ps:scale count comes back (the controller owns replicas again).
  await runtime.autoscale('shop', spec(2, [web(3), worker]));
  assert.equal(await hpaGone(), true, 'gone after :off');
  assert.equal((await deployment()).spec?.replicas, 3);
  assert.ok((await replicasOwners()).includes(FIELD_MANAGER));

  // On again, then a release without web: its autoscaler goes with the type.
  await runtime.autoscale('shop', spec(2, [web(3, { min: 1, max: 2, cpu: 80 }), worker]));
  assert.deepEqual([(await readHpa()).spec.minReplicas, (await readHpa()).spec.maxReplicas], [1, 2]);
  await runtime.autoscale('shop', spec(3, [worker]));
  assert.equal(await hpaGone(), true, 'gone with its type');
});
