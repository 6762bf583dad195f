// runtime/kubernetes/apply.test.ts — which probes a new pod template drops or changes the handler of: the case
// server-side apply on Kubernetes 1.20 cannot make (kubernetes-runtime.test.ts rolls one back on the real cluster).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../core/config.ts';
import { kubeSpec } from '../../test/support/kubernetes.ts';
import { staleProbes } from './apply.ts';
import { toDeployment, toKubeRelease } from './manifests.ts';

const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.test:5000' });
const healthchecks = [{ name: 'health', path: '/health', attempts: 3, waitSeconds: 1, timeoutSeconds: 1, initialDelaySeconds: 0 }];
const web = (withChecks: boolean, type = 'web') => {
  const r = toKubeRelease(kubeSpec('shop', 1, withChecks ? { healthchecks } : {}), config.registry, 1);
  return toDeployment(config, r, { type, command: 'x', quantity: 1 }) as Parameters<typeof staleProbes>[0];
};

test('staleProbes: an HTTP startup check going away (web falls back to TCP probes) or changing handler is stale; the same probes again, or probes added, are not', () => {
  assert.deepEqual(staleProbes(web(true), web(false)), ['web/readinessProbe httpGet→tcpSocket', 'web/startupProbe httpGet→tcpSocket']);
  assert.deepEqual(staleProbes(web(true), web(true)), []);
  assert.deepEqual(staleProbes(web(false), web(false)), []);
  assert.deepEqual(staleProbes(web(false), web(true)), ['web/readinessProbe tcpSocket→httpGet', 'web/startupProbe tcpSocket→httpGet'], 'any change of handler');
  assert.deepEqual(staleProbes(web(false, 'worker'), web(false, 'worker')), [], 'no probes at all');
  assert.deepEqual(staleProbes({}, web(true)), [], 'nothing live');
});
