// test/kubernetes/probes.test.ts — web's probes on the real test cluster (scripts/test-cluster.sh): a release with
// app.json's liveness check and the default TCP startup and readiness probes rolls out; a release whose readiness
// path fails is held (its pod never becomes ready), fails, and is rolled back while the old pod keeps serving.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../core/config.ts';
import { RolloutFailedError } from '../../runtime/driver.ts';
import { KubernetesRuntime } from '../../runtime/kubernetes/kubernetes-runtime.ts';
import type { ReleaseSpec, StartupCheck } from '../../runtime/types.ts';
import { deleteNamespacesAfter, requireCluster, uniquePrefix } from '../support/cluster.ts';
import { appImage } from '../support/kube-images.ts';

test('web probes on the real cluster: a liveness check and TCP defaults roll out; a failing readiness path is held and rolled back', async (t) => {
  const c = requireCluster();
  const prefix = uniquePrefix();
  // v1 answers /health; v2's /health says 500 (its other paths answer), so only its readiness check fails.
  const [image, unhealthy] = await Promise.all([appImage('web'), appImage('unhealthy')]);
  // A short readiness deadline, so the failing release is given up on in seconds (PAAS_BOOT_TIMEOUT_MS).
  const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: c.registry, PAAS_NAMESPACE_PREFIX: prefix, PAAS_BASE_DOMAIN: 'apps.test', PAAS_BOOT_TIMEOUT_MS: '15000' });
  const ns = `${prefix}shop`;
  deleteNamespacesAfter(t, c.kube, () => [ns]);
  const runtime = new KubernetesRuntime(c.kube, config);
  const check = (type: StartupCheck['type'], p: string): StartupCheck => ({ ...(type ? { type } : {}), name: p, path: p, attempts: 3, waitSeconds: 2, timeoutSeconds: 1, initialDelaySeconds: 0 });
  const spec = (version: number, probes: StartupCheck[], img = image): ReleaseSpec => ({
    app: 'shop', version, slugDir: '', pathPrepend: [], env: {}, config: {}, image: img, processes: [{ type: 'web', command: '', quantity: 1 }], probes,
  });
  const lines: string[] = [];

  const v1 = spec(1, [check('liveness', '/health')]);
  await runtime.deploy(v1, (l) => lines.push(l));
  const live = (await c.kube.apps.readNamespacedDeployment({ name: 'web', namespace: ns })).spec!.template.spec!.containers[0]!;
  assert.deepEqual(live.startupProbe?.tcpSocket?.port, 'http', 'the default startup probe as the server stored it');
  assert.deepEqual([live.startupProbe?.periodSeconds, live.startupProbe?.failureThreshold], [2, 150]);
  assert.deepEqual(live.readinessProbe?.tcpSocket?.port, 'http');
  assert.deepEqual({ ...live.livenessProbe?.httpGet }, { path: '/health', port: 'http', scheme: 'HTTP' });

  const failed = await runtime.deploy(spec(2, [check('liveness', '/'), check('readiness', '/health')], unhealthy), (l) => lines.push(l), v1).then(
    () => assert.fail('a release whose readiness path fails must not roll out'), (err: unknown) => err);
  assert.ok(failed instanceof RolloutFailedError, String(failed));
  assert.equal(failed.rolledBackTo, 1);
  assert.match(failed.message, /Unready \(readiness probe failed for \d+s/);
  assert.ok(lines.includes('-----> Rolling back to v1'), lines.join('\n'));
  const back = await c.kube.apps.readNamespacedDeployment({ name: 'web', namespace: ns });
  assert.equal(back.spec?.template.metadata?.labels?.['paas.dev/release'], '1');
  assert.equal(back.spec?.template.spec?.containers[0]?.readinessProbe?.tcpSocket?.port, 'http');
  const pods = await c.kube.core.listNamespacedPod({ namespace: ns, labelSelector: 'paas.dev/release=1' });
  const ready = pods.items.filter((p) => !p.metadata?.deletionTimestamp && p.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True'));
  assert.equal(ready.length, 1, 'the v1 pod kept serving');
});
