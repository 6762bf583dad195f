// runtime/kubernetes/rollout.ts — pure rollout evaluation: a Deployment's status read with the rules of
// `kubectl rollout status`, and the pod states that will not fix themselves (a rollout fails at once instead of at
// its deadline). No I/O; rollout-watch.ts feeds it from watches, job-run.ts and process-status.ts share the scan.

/** The parts of a Deployment that rollout status reads (plain JSON from a watch, or the typed client's objects). */
export interface DeploymentLike {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number };
  status?: {
    observedGeneration?: number; replicas?: number; updatedReplicas?: number; availableReplicas?: number;
    conditions?: Array<{ type: string; status?: string; reason?: string; message?: string }>;
  };
}

interface ContainerStateLike {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: Date | string };
  terminated?: { exitCode?: number; reason?: string; message?: string };
}

interface ContainerStatusLike { name: string; ready?: boolean; restartCount?: number; state?: ContainerStateLike; lastState?: ContainerStateLike }

/** The parts of a Pod that decide whether a rollout has failed. */
export interface PodLike {
  metadata?: { name?: string; deletionTimestamp?: Date | string };
  spec?: { containers?: Array<{ name: string; readinessProbe?: unknown }> };
  status?: {
    phase?: string; reason?: string; message?: string;
    conditions?: Array<{ type: string; status?: string }>;
    initContainerStatuses?: ContainerStatusLike[];
    containerStatuses?: ContainerStatusLike[];
  };
}

/** Where a rollout stands: done, still waiting (with kubectl's message), or failed (with why). */
export type RolloutState = { kind: 'done'; message: string } | { kind: 'waiting'; message: string } | { kind: 'failed'; message: string };

/** Evaluates a Deployment exactly as `kubectl rollout status` does (DeploymentStatusViewer). */
export function evaluateDeployment(d: DeploymentLike): RolloutState {
  const name = d.metadata?.name ?? '?';
  const status = d.status ?? {};
  if ((d.metadata?.generation ?? 0) > (status.observedGeneration ?? 0)) {
    return { kind: 'waiting', message: 'Waiting for deployment spec update to be observed...' };
  }
  const progressing = status.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { kind: 'failed', message: `deployment "${name}" exceeded its progress deadline` };
  }
  const want = d.spec?.replicas ?? 1;
  const updated = status.updatedReplicas ?? 0;
  const replicas = status.replicas ?? 0;
  const available = status.availableReplicas ?? 0;
  if (updated < want) {
    return { kind: 'waiting', message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated...` };
  }
  if (replicas > updated) {
    return { kind: 'waiting', message: `Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...` };
  }
  if (available < updated) {
    return { kind: 'waiting', message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...` };
  }
  return { kind: 'done', message: `deployment "${name}" successfully rolled out` };
}

/** Waiting reasons that will not fix themselves: a rollout fails at once, a Job is given up, `ps` says crashed. */
const fatalWaitingReasons = new Set([
  'ImagePullBackOff', 'ErrImagePull', 'ErrImageNeverPull', 'InvalidImageName',
  'CrashLoopBackOff', 'CreateContainerConfigError', 'CreateContainerError', 'RunContainerError',
]);

/** A container stuck waiting for a reason that will not fix itself; message is Kubernetes' (or its last exit). */
export interface StuckContainer { container: string; reason: string; message: string }

/**
 * The first container of the pod (init containers first) that waits for a fatal reason, or undefined. The one
 * scan behind a failed rollout (evaluatePod), a Job given up (job-run.ts) and a crashed process (process-status.ts).
 */
export function stuckContainer(pod: PodLike | undefined): StuckContainer | undefined {
  for (const c of [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])]) {
    const reason = c.state?.waiting?.reason;
    if (reason && fatalWaitingReasons.has(reason)) return { container: c.name, reason, message: c.state?.waiting?.message ?? lastExit(c) };
  }
  return undefined;
}

/** Why a pod fails its rollout: which container, the reason as Kubernetes names it, and its message. */
export interface PodFailure { pod: string; container?: string; reason: string; message: string }

function startedAt(c: ContainerStatusLike): number | undefined {
  const at = c.state?.running?.startedAt;
  return at === undefined ? undefined : new Date(at).getTime();
}

function isReady(pod: PodLike): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Returns why a new pod has failed, or undefined while it may still come up: a fatal waiting reason, a failed
 * pod, or a probed container running longer than readyTimeoutMs without becoming ready (failed readiness).
 */
export function evaluatePod(pod: PodLike, now: number, readyTimeoutMs: number): PodFailure | undefined {
  const name = pod.metadata?.name ?? '?';
  if (pod.metadata?.deletionTimestamp) return undefined; // on its way out: not this rollout's verdict
  if (pod.status?.phase === 'Failed') {
    return { pod: name, reason: pod.status.reason ?? 'Failed', message: pod.status.message ?? 'the pod failed' };
  }
  const stuck = stuckContainer(pod);
  if (stuck) return { pod: name, ...stuck };
  if (isReady(pod)) return undefined;
  const probes = new Map((pod.spec?.containers ?? []).filter((c) => c.readinessProbe).map((c) => [c.name, c.readinessProbe as { httpGet?: { path?: string } }]));
  for (const c of pod.status?.containerStatuses ?? []) {
    const since = startedAt(c);
    const probe = probes.get(c.name);
    if (!probe || c.ready || since === undefined || now - since < readyTimeoutMs) continue;
    // An HTTP probe's path may answer badly while the port is open (app.json's startup check): say which path.
    const what = probe.httpGet?.path ? `GET ${probe.httpGet.path} did not answer 2xx/3xx` : 'nothing answered on the web port';
    return { pod: name, container: c.name, reason: 'Unready', message: `readiness probe failed for ${Math.round((now - since) / 1000)}s: ${what}` };
  }
  return undefined;
}

function lastExit(c: ContainerStatusLike): string {
  const t = c.lastState?.terminated;
  return t ? `exited with code ${t.exitCode ?? '?'}${t.reason ? ` (${t.reason})` : ''}` : '';
}

/** The first failure among a release's pods, if any. */
export function firstPodFailure(pods: PodLike[], now: number, readyTimeoutMs: number): PodFailure | undefined {
  for (const pod of pods) {
    const failure = evaluatePod(pod, now, readyTimeoutMs);
    if (failure) return failure;
  }
  return undefined;
}

/** One line for the push: "web-5d8f-x2k4q: CrashLoopBackOff (back-off 10s restarting failed container)". */
export function describePodFailure(f: PodFailure): string {
  return `${f.pod}${f.container ? ` (${f.container})` : ''}: ${f.reason}${f.message ? ` (${f.message})` : ''}`;
}
