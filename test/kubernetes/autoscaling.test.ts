// test/kubernetes/autoscaling.test.ts — ps:autoscale on the real test cluster (scripts/test-cluster.sh, Kubernetes
// 1.20): the runtime applies a HorizontalPodAutoscaler in the version discovery picks (v2beta2 there), targeting the
// type's Deployment, keeps the count the autoscaler chose across a new release that rolls out (replicas handed to
// their own field manager), and deletes it on ps:autoscale:off and when the type goes. No metrics-server runs there: the objects
// and their lifecycle are checked, not scaling under load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatchStrategy, VersionApi, type KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER, REPLICAS_MANAGER } from '../../runtime/kubernetes/apply.ts';
import { isNotFound } from '../../runtime/kubernetes/client.ts';
import { hpaApiVersion } from '../../runtime/kubernetes/discovery.ts';
import { KubernetesRuntime } from '../../runtime/kubernetes/kubernetes-runtime.ts';
import type { HorizontalPodAutoscaler } from '../../runtime/kubernetes/manifests.ts';
import type { ProcessSpec, ReleaseSpec } from '../../runtime/types.ts';
import { appImage } from '../support/kube-images.ts';
import { eventually } from '../support/cluster.ts';
import { startKubeWorld } from '../support/kubernetes.ts';

test('ps:autoscale on the real API server: the HPA in the served version, kept counts across a release, gone on off and with its type', async (t) => {
  const { cluster: c, config, appNamespace } = await startKubeWorld(t, { PAAS_BOOT_TIMEOUT_MS: '60000' });
  const image = await appImage('web');
  const ns = appNamespace('shop');
  const runtime = new KubernetesRuntime(c.kube, config);
  const spec = (version: number, processes: ProcessSpec[]): ReleaseSpec => ({
    app: 'shop', version, slugDir: '', pathPrepend: [], env: {}, config: {}, image, processes,
  });
  const web = (quantity: number, autoscale?: ProcessSpec['autoscale']): ProcessSpec => ({ type: 'web', command: '', quantity, ...(autoscale ? { autoscale } : {}) });
  const worker: ProcessSpec = { type: 'worker', command: 'sleep 3600', quantity: 0 };
  const say = () => undefined;

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

  // v1 runs web at 2 (ps:scale); v2 autoscales web --min 1 --max 4 --cpu 60 (a push that lands before the
  // ps:autoscale event is handled: the release alone must keep the count).
  const v1 = spec(1, [web(2), worker]);
  await runtime.deploy(v1, say);
  const v2 = spec(2, [web(2, { min: 1, max: 4, cpu: 60 }), worker]);
  await runtime.deploy(v2, say, v1);
  const hpa = await readHpa();
  assert.equal(hpa.apiVersion, version);
  assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
  assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas], [1, 4]);
  assert.deepEqual(hpa.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
  assert.equal(hpa.metadata.labels['app.kubernetes.io/instance'], 'shop');
  assert.equal((await deployment()).spec?.replicas, 2, 'a release that turns autoscaling on keeps the count');
  assert.deepEqual(await replicasOwners(), [REPLICAS_MANAGER], 'the controller no longer owns replicas; its hand-over manager does');

  // The autoscaler changes the count (an update under a manager of its own, as the HPA controller's) …
  const scaled = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns }, spec: { replicas: 3 } };
  await c.kube.objects.patch(scaled as KubernetesObject, undefined, undefined, 'hpa-stand-in', undefined, PatchStrategy.MergePatch);
  // … and a new release (a new pod template: v3) rolls out without resetting it.
  const v3 = spec(3, [web(2, { min: 1, max: 4, cpu: 60 }), worker]);
  await runtime.deploy(v3, say, v2);
  const live = await deployment();
  assert.equal(live.spec?.template.metadata?.labels?.['paas.dev/release'], '3', 'the release rolled out');
  assert.equal(live.spec?.replicas, 3, "a release keeps the autoscaler's count");
  assert.ok(!(await replicasOwners()).includes(FIELD_MANAGER));

  // ps:autoscale:off: the HPA goes, the ps:scale count comes back.
  await runtime.autoscale('shop', spec(3, [web(2), worker]));
  assert.equal(await hpaGone(), true, 'gone after :off');
  assert.equal((await deployment()).spec?.replicas, 2);

  // ps:autoscale on the live release (the event's path), then a release without web: the autoscaler goes with its type.
  await runtime.autoscale('shop', spec(3, [web(2, { min: 1, max: 2, cpu: 80 }), worker]));
  assert.deepEqual([(await readHpa()).spec.minReplicas, (await readHpa()).spec.maxReplicas], [1, 2]);
  assert.equal((await deployment()).spec?.replicas, 2);
  await runtime.deploy(spec(4, [{ ...worker, quantity: 1 }]), say, v3);
  assert.equal(await hpaGone(), true, 'gone with its type');
  await assert.rejects(deployment(), (err: unknown) => isNotFound(err));
});

test('a type at 0 autoscaled with --min 1 gets 1 replica at once (the autoscaler leaves a target at 0 alone)', async (t) => {
  const { cluster: c, config, appNamespace } = await startKubeWorld(t, { PAAS_BOOT_TIMEOUT_MS: '60000' });
  const image = await appImage('web');
  const ns = appNamespace('shop');
  const runtime = new KubernetesRuntime(c.kube, config);
  const worker = (autoscale?: ProcessSpec['autoscale']): ProcessSpec => ({ type: 'worker', command: 'sleep 3600', quantity: 0, ...(autoscale ? { autoscale } : {}) });
  const spec = (processes: ProcessSpec[]): ReleaseSpec => ({ app: 'shop', version: 1, slugDir: '', pathPrepend: [], env: {}, config: {}, image, processes });
  const deployment = () => c.kube.apps.readNamespacedDeployment({ name: 'worker', namespace: ns });

  await runtime.deploy(spec([worker()]), () => undefined);
  assert.equal((await deployment()).spec?.replicas, 0, 'ps:scale worker=0');
  // ps:autoscale worker --min 1 --max 3 on the live release (the event's path).
  await runtime.autoscale('shop', spec([worker({ min: 1, max: 3, cpu: 70 })]));
  assert.equal((await deployment()).spec?.replicas, 1, 'handed over within the autoscaler\'s bounds, not at 0');
  const pods = await eventually('a worker pod running', async () => {
    const list = await c.kube.core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/component=worker' });
    return list.items.some((p) => p.status?.phase === 'Running') ? list.items : undefined;
  }, 120_000);
  assert.equal(pods.length, 1);
  // The count stays the hand-over manager's (not the controller's), so the next release does not reset it.
  await runtime.deploy({ ...spec([worker({ min: 1, max: 3, cpu: 70 })]), version: 2 }, () => undefined, spec([worker({ min: 1, max: 3, cpu: 70 })]));
  assert.equal((await deployment()).spec?.replicas, 1);
});
