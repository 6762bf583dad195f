// runtime/kubernetes/rollout.test.ts — rollout evaluation, table-driven after kubectl's
// DeploymentStatusViewer cases, the stuck-container scan, and the pod states that fail a rollout at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePodFailure, evaluateDeployment, evaluatePod, stuckContainer, type DeploymentLike, type PodLike, type StuckContainer } from './rollout.ts';

function dep(generation: number, replicas: number | undefined, status: NonNullable<DeploymentLike['status']>): DeploymentLike {
  return { metadata: { name: 'web', generation }, spec: replicas === undefined ? {} : { replicas }, status };
}

const deploymentCases: Array<[string, DeploymentLike, string, string]> = [
  ['spec not observed yet', dep(2, 1, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
    'waiting', 'Waiting for deployment spec update to be observed...'],
  ['no status at all', { metadata: { name: 'web', generation: 1 }, spec: { replicas: 1 } }, 'waiting', 'Waiting for deployment spec update to be observed...'],
  ['new replicas not all updated', dep(1, 3, { observedGeneration: 1, replicas: 3, updatedReplicas: 1, availableReplicas: 1 }),
    'waiting', 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...'],
  ['old replicas pending termination', dep(1, 2, { observedGeneration: 1, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }),
    'waiting', 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...'],
  ['updated replicas not available', dep(1, 2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }),
    'waiting', 'Waiting for deployment "web" rollout to finish: 1 of 2 updated replicas are available...'],
  ['rolled out', dep(1, 2, { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
    'done', 'deployment "web" successfully rolled out'],
  ['observed generation ahead is fine', dep(1, 1, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
    'done', 'deployment "web" successfully rolled out'],
  ['replicas unset means 1', dep(1, undefined, { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
    'done', 'deployment "web" successfully rolled out'],
  ['scaled to zero', dep(1, 0, { observedGeneration: 1 }), 'done', 'deployment "web" successfully rolled out'],
  ['progress deadline exceeded', dep(1, 1, {
    observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 0,
    conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
  }), 'failed', 'deployment "web" exceeded its progress deadline'],
  ['deadline on an unobserved generation still waits', dep(3, 1, {
    observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }],
  }), 'waiting', 'Waiting for deployment spec update to be observed...'],
  ['progressing condition that is fine', dep(1, 1, {
    observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1,
    conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
  }), 'done', 'deployment "web" successfully rolled out'],
];

for (const [name, d, kind, message] of deploymentCases) {
  test(`rollout status: ${name}`, () => {
    assert.deepEqual(evaluateDeployment(d), { kind, message });
  });
}

const now = Date.parse('2025-01-01T00:01:00Z');
const probed = { containers: [{ name: 'web', readinessProbe: { tcpSocket: { port: 'http' } } }] };

function pod(status: NonNullable<PodLike['status']>, spec: PodLike['spec'] = probed): PodLike {
  return { metadata: { name: 'web-abc' }, spec, status };
}

const waiting = (reason: string, message?: string): NonNullable<PodLike['status']> => ({
  phase: 'Pending', containerStatuses: [{ name: 'web', ready: false, restartCount: 0, state: { waiting: { reason, message } } }],
});

const running = { name: 'web', state: { running: { startedAt: '2025-01-01T00:00:00Z' } } };
const stuckCases: Array<[string, PodLike | undefined, StuckContainer | undefined]> = [
  ['no pod', undefined, undefined],
  ['no statuses yet', pod({ phase: 'Pending' }), undefined],
  ['running', pod({ phase: 'Running', containerStatuses: [running] }), undefined],
  ['waiting for a reason that fixes itself', pod(waiting('ContainerCreating')), undefined],
  ['image pull back-off, with its message', pod(waiting('ImagePullBackOff', 'Back-off pulling image "x"')),
    { container: 'web', reason: 'ImagePullBackOff', message: 'Back-off pulling image "x"' }],
  ['a crash loop without a message tells the last exit', pod({ phase: 'Running', containerStatuses: [{
    name: 'web', state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } },
  }] }), { container: 'web', reason: 'CrashLoopBackOff', message: 'exited with code 1 (Error)' }],
  ['neither message nor last exit', pod({ phase: 'Pending', containerStatuses: [{ name: 'web', state: { waiting: { reason: 'InvalidImageName' } } }] }),
    { container: 'web', reason: 'InvalidImageName', message: '' }],
  ['the second container is the stuck one', pod({ phase: 'Pending', containerStatuses: [
    { name: 'web', state: { waiting: { reason: 'ContainerCreating' } } },
    { name: 'sidecar', state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "x" not found' } } },
  ] }), { container: 'sidecar', reason: 'CreateContainerConfigError', message: 'secret "x" not found' }],
  ['an init container comes before the main ones', pod({ phase: 'Pending',
    initContainerStatuses: [{ name: 'init', state: { waiting: { reason: 'ErrImagePull', message: 'not found' } } }],
    containerStatuses: [{ name: 'web', state: { waiting: { reason: 'RunContainerError', message: 'later' } } }],
  }), { container: 'init', reason: 'ErrImagePull', message: 'not found' }],
];

for (const [name, p, expected] of stuckCases) {
  test(`stuck container: ${name}`, () => {
    assert.deepEqual(stuckContainer(p), expected);
  });
}

const podCases: Array<[string, PodLike, string | undefined]> = [
  ['image pull back-off', pod(waiting('ImagePullBackOff', 'Back-off pulling image "x"')), 'ImagePullBackOff'],
  ['image pull error', pod(waiting('ErrImagePull', 'not found')), 'ErrImagePull'],
  ['crash loop', pod(waiting('CrashLoopBackOff', 'back-off 10s restarting failed container')), 'CrashLoopBackOff'],
  ['config error (a missing Secret)', pod(waiting('CreateContainerConfigError', 'secret "x" not found')), 'CreateContainerConfigError'],
  ['still creating', pod(waiting('ContainerCreating')), undefined],
  ['init container crash loop', pod({ phase: 'Pending', initContainerStatuses: [{ name: 'init', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }), 'CrashLoopBackOff'],
  ['pod failed (evicted)', pod({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' }), 'Evicted'],
  ['running, not ready yet, within the boot time', pod({
    phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [{ name: 'web', ready: false, state: { running: { startedAt: '2025-01-01T00:00:55Z' } } }],
  }), undefined],
  ['running, never ready past the boot time: failed readiness', pod({
    phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [{ name: 'web', ready: false, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }],
  }), 'Unready'],
  ['running without a probe is never unready', pod({
    phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [{ name: 'worker', ready: false, state: { running: { startedAt: new Date('2025-01-01T00:00:00Z') } } }],
  }, { containers: [{ name: 'worker' }] }), undefined],
  ['ready', pod({
    phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [{ name: 'web', ready: true, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }],
  }), undefined],
  ['being deleted', { ...pod(waiting('CrashLoopBackOff')), metadata: { name: 'web-abc', deletionTimestamp: '2025-01-01T00:00:59Z' } }, undefined],
];

for (const [name, p, reason] of podCases) {
  test(`pod verdict: ${name}`, () => {
    assert.equal(evaluatePod(p, now, 30_000)?.reason, reason);
  });
}

test('a pod failure reads as one line with the pod, container, reason and message', () => {
  const f = evaluatePod(pod(waiting('CrashLoopBackOff', 'back-off 10s')), now, 30_000)!;
  assert.equal(describePodFailure(f), 'web-abc (web): CrashLoopBackOff (back-off 10s)');
});

test('failed readiness says which path an HTTP probe asks, or that nothing answered on the port', () => {
  const status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }], containerStatuses: [{ name: 'web', ready: false, state: { running: { startedAt: '2025-01-01T00:00:00Z' } } }] };
  assert.equal(evaluatePod(pod(status), now, 30_000)?.message, 'readiness probe failed for 60s: nothing answered on the web port');
  const http = { containers: [{ name: 'web', readinessProbe: { httpGet: { path: '/health', port: 'http' } } }] };
  assert.equal(evaluatePod(pod(status, http), now, 30_000)?.message, 'readiness probe failed for 60s: GET /health did not answer 2xx/3xx');
});
