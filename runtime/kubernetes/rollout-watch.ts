// runtime/kubernetes/rollout-watch.ts — waits for a release's Deployments to roll out, watching them
// and the release's pods: done by kubectl's rules, failed at once on a fatal pod state (with the pod's last log
// lines), failed at the progress deadline otherwise. Progress goes to the push as it changes.
import { ReleaseBootError } from '../boot-error.ts';
import type { Kube } from './client.ts';
import { tailContainer } from './logs.ts';
import { PROGRESS_DEADLINE_SECONDS } from './manifests.ts';
import { describePodFailure, evaluateDeployment, firstPodFailure, type PodFailure } from './rollout.ts';
import { deploymentInformer, podInformer } from './watch.ts';

export interface RolloutTarget {
  namespace: string;
  /** The Deployments that must all roll out. */
  deployments: string[];
  /** Label selector of the pods this rollout creates (their failures fail it). */
  podSelector: string;
  /** How long a probed container may run without becoming ready (the embedded mode's boot timeout). */
  readyTimeoutMs: number;
}

/** How many of the failing container's last lines the push shows. */
const LAST_LINES = 20;

/** Resolves when every Deployment has rolled out; throws ReleaseBootError (with the pod's last lines) when the rollout fails. */
export async function waitForRollout(kube: Kube, t: RolloutTarget, say: (line: string) => void): Promise<void> {
  const failure = await watchRollout(kube, t, say);
  if (!failure) return;
  if (typeof failure === 'string') throw new ReleaseBootError(failure, []);
  const lines = failure.container ? await tailContainer(kube, t.namespace, failure.pod, failure.container, LAST_LINES, failure.reason === 'CrashLoopBackOff') : [];
  throw new ReleaseBootError(describePodFailure(failure), lines);
}

/** Watches until done (undefined) or failed (a pod failure, or a message). */
function watchRollout(kube: Kube, t: RolloutTarget, say: (line: string) => void): Promise<PodFailure | string | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const reported = new Set<string>();
    const check = () => {
      if (settled) return;
      const pod = firstPodFailure([...pods.list()], Date.now(), t.readyTimeoutMs);
      if (pod) return finish(pod);
      let allDone = true;
      for (const name of t.deployments) {
        const d = deployments.get(name, t.namespace);
        const state = d ? evaluateDeployment(d) : { kind: 'waiting' as const, message: `Waiting for deployment "${name}" to appear...` };
        if (state.kind === 'failed') return finish(state.message);
        if (state.kind === 'waiting') allDone = false;
        if (!reported.has(state.message)) { reported.add(state.message); say(`       ${state.message}`); }
      }
      if (allDone) finish(undefined);
    };
    const finish = (result: PodFailure | string | undefined) => {
      settled = true;
      clearInterval(tick);
      clearTimeout(deadline);
      void deployments.stop();
      void pods.stop();
      resolve(result);
    };
    const deployments = deploymentInformer(kube, t.namespace, check);
    const pods = podInformer(kube, t.namespace, { labelSelector: t.podSelector }, check);
    // Time alone can fail a rollout (a pod that never becomes ready), so look again every second too.
    const tick = setInterval(check, 1000);
    // Kubernetes reports ProgressDeadlineExceeded by itself; this only guards against a cluster that never says.
    const deadline = setTimeout(() => finish(`the rollout did not finish within ${PROGRESS_DEADLINE_SECONDS + 60}s`), (PROGRESS_DEADLINE_SECONDS + 60) * 1000);
    Promise.all([deployments.start(), pods.start()]).then(check, (err: unknown) => finish(`cannot watch the rollout: ${(err as Error).message}`));
  });
}
