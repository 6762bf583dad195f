// runtime/kubernetes/job-run.ts — runs a Job and follows it: creates it (replacing a leftover of the
// same name), finds its pod, and streams each container's log into the push as it is written, in order.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { isPaasError, PaasError, type ErrorCode } from '../../core/errors.ts';
import { applyObjects, deleteObject } from './apply.ts';
import { isNotFound, type Kube } from './client.ts';
import { containerState, followContainer } from './logs.ts';
import { stuckContainer } from './rollout.ts';
import { podInformer } from './watch.ts';

/** How a container of the Job's pod ended. */
export interface ContainerEnd { exitCode: number; message: string; reason?: string }

/** How long a Job may go without a pod (quota, admission refusals) before it is given up. */
const POD_TIMEOUT_MS = 5 * 60_000;

/** Waits for the pod a Job creates. */
function waitForJobPod(kube: Kube, ns: string, job: string, code: ErrorCode): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void pods.stop();
      reject(new PaasError(code, `Kubernetes created no pod for Job ${ns}/${job} within ${POD_TIMEOUT_MS / 60_000} minutes (see kubectl describe job)`));
    }, POD_TIMEOUT_MS);
    const pods = podInformer(kube, ns, { labelSelector: `job-name=${job}` }, () => {
      const pod = pods.list()[0];
      if (!pod?.metadata?.name) return;
      clearTimeout(timer);
      void pods.stop();
      resolve(pod.metadata.name);
    });
    pods.start().catch((err: unknown) => { clearTimeout(timer); reject(err); });
  });
}

/** Rejects when a container of the pod is stuck in a state that will not fix itself (so a build never hangs on a bad image). */
function watchForStuck(kube: Kube, ns: string, pod: string, code: ErrorCode, signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const pods = podInformer(kube, ns, { fieldSelector: `metadata.name=${pod}` }, () => {
      const stuck = stuckContainer(pods.get(pod, ns));
      if (!stuck) return;
      void pods.stop();
      reject(new PaasError(code, `${stuck.container} cannot start: ${stuck.reason}${stuck.message ? ` (${stuck.message})` : ''}`));
    });
    signal.addEventListener('abort', () => void pods.stop(), { once: true });
    void pods.start();
  });
}

export interface JobFollow {
  /** Streams one container's lines; called for each container in `containers`, in order. */
  onLine(container: string, line: string): void;
  /** Called when a container ended; return false to stop following the next ones. */
  onEnd(container: string, end: ContainerEnd): boolean;
  /** Called once the Job exists, with what the server stored (its uid, for ownerReferences). */
  onCreated?(job: KubernetesObject): Promise<void>;
}

/** Creates the Job and follows the given containers of its pod in order; returns the pod name. Failures to run carry `code`. */
export async function runJob(kube: Kube, job: IJob, containers: string[], follow: JobFollow, code: ErrorCode): Promise<string> {
  const ns = job.metadata!.namespace!;
  const name = job.metadata!.name!;
  // A Job's pod template cannot change: a leftover from an interrupted attempt is replaced, not updated.
  await deleteObject(kube, { apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: ns } });
  await waitUntilGone(kube, ns, name);
  const [created] = await applyObjects(kube, [job]);
  await follow.onCreated?.(created!);
  const pod = await waitForJobPod(kube, ns, name, code);
  const done = new AbortController();
  const stuck = watchForStuck(kube, ns, pod, code, done.signal);
  stuck.catch(() => undefined);
  try {
    for (const container of containers) {
      const end = await Promise.race([followOne(kube, ns, pod, container, follow), stuck]);
      if (!follow.onEnd(container, end)) break;
    }
  } catch (err) {
    if (isPaasError(err)) throw err;
    throw new PaasError(code, `Job ${ns}/${name} could not be followed: ${(err as Error).message}`, { cause: err });
  } finally {
    done.abort();
  }
  return pod;
}

async function followOne(kube: Kube, ns: string, pod: string, container: string, follow: JobFollow): Promise<ContainerEnd> {
  const final: V1Pod = await followContainer(kube, ns, pod, container, (line) => follow.onLine(container, line));
  const t = containerState(final, container)?.terminated;
  if (!t) return { exitCode: -1, message: '', reason: final.status?.reason ?? 'did not run' };
  return { exitCode: t.exitCode ?? -1, message: (t.message ?? '').trim(), reason: t.reason };
}

async function waitUntilGone(kube: Kube, ns: string, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await kube.batch.readNamespacedJob({ namespace: ns, name });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new PaasError('E_INTERNAL', `Job ${ns}/${name} from an earlier attempt is still being deleted`);
}
