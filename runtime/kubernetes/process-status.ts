// runtime/kubernetes/process-status.ts — what `ps` shows in Kubernetes mode: an app's pods as process
// statuses (type, a per-type index, release, state with Kubernetes' reason, restarts, since). Pure.
import type { V1Pod } from '@kubernetes/client-node';
import type { ProcessStatus } from '../types.ts';
import { annotationKeys, labelKeys } from './names.ts';
import { stuckContainer } from './rollout.ts';

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** True when a container ended with code 0 (Kubernetes' `Completed`) and is not running again: done, not failing. */
function completed(pod: V1Pod): boolean {
  return (pod.status?.containerStatuses ?? []).some((c) => c.state?.terminated?.exitCode === 0
    || (c.state?.waiting?.reason === 'CrashLoopBackOff' && c.lastState?.terminated?.exitCode === 0));
}

function stateOf(pod: V1Pod): { state: ProcessStatus['state']; reason?: string } {
  if (pod.metadata?.deletionTimestamp) return { state: 'stopping' };
  if (pod.status?.phase === 'Succeeded') return { state: 'exited', reason: 'exited with code 0' };
  // A Deployment restarts even a clean exit (restartPolicy Always): say it ended with code 0, and what Kubernetes does.
  const waitingFor = (pod.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).find((r) => r !== undefined);
  if (completed(pod) && !isReady(pod)) {
    return { state: 'exited', reason: `exited with code 0${waitingFor ? `; Kubernetes restarts it (${waitingFor})` : ''}` };
  }
  const stuck = stuckContainer(pod);
  if (stuck) return { state: 'crashed', reason: stuck.reason };
  const waiting = (pod.status?.containerStatuses ?? []).map((c) => c.state?.waiting?.reason).find((r) => r !== undefined);
  if (pod.status?.phase === 'Failed') return { state: 'crashed', reason: pod.status.reason ?? 'Failed' };
  if (isReady(pod)) return { state: 'up' };
  return { state: 'starting', ...(waiting ? { reason: waiting } : {}) };
}

/** Turns an app's pods into process statuses, numbered per type by age (web.1 is the oldest web pod). */
export function toProcessStatuses(app: string, pods: V1Pod[]): ProcessStatus[] {
  const byType = new Map<string, V1Pod[]>();
  for (const pod of pods) {
    const type = pod.metadata?.annotations?.[annotationKeys.processType] ?? pod.metadata?.labels?.[labelKeys.component] ?? 'app';
    byType.set(type, [...(byType.get(type) ?? []), pod]);
  }
  const out: ProcessStatus[] = [];
  for (const [type, list] of [...byType].sort(([a], [b]) => a.localeCompare(b))) {
    const since = (p: V1Pod) => new Date(p.status?.startTime ?? p.metadata?.creationTimestamp ?? 0);
    list.sort((a, b) => since(a).getTime() - since(b).getTime() || (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    list.forEach((pod, i) => {
      const { state, reason } = stateOf(pod);
      out.push({
        app, type, index: i + 1,
        version: Number(pod.metadata?.labels?.[labelKeys.release] ?? 0),
        state, restarts: (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
        since: since(pod), name: pod.metadata?.name, ...(reason ? { reason } : {}),
      });
    });
  }
  return out;
}
