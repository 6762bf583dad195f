// runtime/kubernetes/process-status.test.ts — what `ps` makes of a pod in Kubernetes mode, table-driven: the
// state with Kubernetes' reason (a stuck container, init containers too, is crashed), and the per-type numbering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod, V1PodStatus } from '@kubernetes/client-node';
import { toProcessStatuses } from './process-status.ts';

function pod(name: string, status: V1PodStatus, extra: Partial<V1Pod['metadata']> = {}): V1Pod {
  return {
    metadata: { name, labels: { 'paas.dev/release': '3', 'app.kubernetes.io/component': 'web' }, creationTimestamp: new Date('2025-01-01T00:00:00Z'), ...extra },
    status,
  };
}

const waiting = (reason: string) => ({ name: 'web', ready: false, restartCount: 2, image: 'x', imageID: '', state: { waiting: { reason } } });

const cases: Array<[string, V1Pod, string]> = [
  ['ready', pod('web-a', { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] }), 'up'],
  ['still creating', pod('web-a', { phase: 'Pending', containerStatuses: [waiting('ContainerCreating')] }), 'starting ContainerCreating'],
  ['crash loop', pod('web-a', { phase: 'Running', containerStatuses: [waiting('CrashLoopBackOff')] }), 'crashed CrashLoopBackOff'],
  ['a stuck second container behind a creating one', pod('web-a', { phase: 'Pending', containerStatuses: [waiting('ContainerCreating'), { ...waiting('ImagePullBackOff'), name: 'side' }] }), 'crashed ImagePullBackOff'],
  ['a stuck init container', pod('web-a', { phase: 'Pending', initContainerStatuses: [{ ...waiting('CrashLoopBackOff'), name: 'init' }] }), 'crashed CrashLoopBackOff'],
  ['failed (evicted)', pod('web-a', { phase: 'Failed', reason: 'Evicted' }), 'crashed Evicted'],
  ['a clean exit Kubernetes restarts (Completed, code 0)', pod('web-a', { phase: 'Running', containerStatuses: [{ ...waiting('CrashLoopBackOff'), lastState: { terminated: { exitCode: 0, reason: 'Completed' } } }] }), 'exited exited with code 0; Kubernetes restarts it (CrashLoopBackOff)'],
  ['a crash loop of non-zero exits stays crashed', pod('web-a', { phase: 'Running', containerStatuses: [{ ...waiting('CrashLoopBackOff'), lastState: { terminated: { exitCode: 1, reason: 'Error' } } }] }), 'crashed CrashLoopBackOff'],
  ['succeeded', pod('web-a', { phase: 'Succeeded' }), 'exited exited with code 0'],
  ['being deleted', pod('web-a', { phase: 'Running', containerStatuses: [waiting('CrashLoopBackOff')] }, { deletionTimestamp: new Date() }), 'stopping'],
];

for (const [name, p, expected] of cases) {
  test(`ps state: ${name}`, () => {
    const [status] = toProcessStatuses('shop', [p]);
    assert.equal([status!.state, status!.reason].filter(Boolean).join(' '), expected);
  });
}

test('ps numbers each type by age and reads the release and restarts from the pod', () => {
  const young = pod('web-young', { phase: 'Running', startTime: new Date('2025-01-01T00:05:00Z'), containerStatuses: [waiting('CrashLoopBackOff')] });
  const old = pod('web-old', { phase: 'Running', startTime: new Date('2025-01-01T00:01:00Z'), conditions: [{ type: 'Ready', status: 'True' }] });
  const ps = toProcessStatuses('shop', [young, old]);
  assert.deepEqual(ps.map((p) => `${p.type}.${p.index} ${p.name} v${p.version} ${p.state} ${p.restarts}`), ['web.1 web-old v3 up 0', 'web.2 web-young v3 crashed 2']);
});
