// test/support/kube-stand-in/sim.ts — what the cluster's controllers and kubelets would do, driven by the test:
// a Job gets a pod whose containers the test starts, logs and ends; a Deployment's rollout goes the way the test's
// behaviour says (ready, stuck in a waiting reason, unready, past its deadline, or held for manual steps);
// deleting a namespace, Job or Deployment deletes what it owns.
import crypto from 'node:crypto';
import type { PodLogs } from './pod-logs.ts';
import { typeOfKind, type ResourceType } from './resources.ts';
import type { KObject, Store, WatchEvent } from './store.ts';
import type { JsonObject } from './ssa.ts';

const POD = typeOfKind('v1', 'Pod')!;
const JOB = typeOfKind('batch/v1', 'Job')!;
const DEPLOYMENT = typeOfKind('apps/v1', 'Deployment')!;

/** How a Deployment's rollout goes. `logs` are written to each new pod's container. */
export type DeploymentBehaviour =
  | { kind: 'ready' }
  | { kind: 'hold' }
  | { kind: 'waiting'; reason: string; message?: string; logs?: string[] }
  | { kind: 'unready'; logs?: string[] }
  | { kind: 'deadline' };

/** A Job's pod as the test drives it. */
export interface JobRun {
  namespace: string; job: KObject; pod: string;
  log(container: string, line: string): void;
  start(container: string): void;
  /** Ends a container; the pod and Job finish when an init container fails or every container has ended. */
  exit(container: string, exitCode: number, message?: string): void;
}

type Spec = { initContainers?: Array<{ name: string; image?: string }>; containers: Array<{ name: string; image?: string }> };

const rand = () => crypto.randomBytes(4).toString('hex').slice(0, 5);
const now = () => new Date().toISOString();

function containerStatus(c: { name: string; image?: string }, state: JsonObject, ready = false, restartCount = 0): JsonObject {
  return { name: c.name, image: c.image ?? '', imageID: '', ready, restartCount, state };
}

export class Simulator {
  deploymentBehaviour: (dep: KObject) => DeploymentBehaviour = () => ({ kind: 'ready' });
  jobScript: (run: JobRun) => void | Promise<void> = () => undefined;
  private seen = new Map<string, string>();
  private pending = new Set<Promise<void>>();

  constructor(private store: Store, private logs: PodLogs) {
    store.subscribe((e) => {
      // After the write that caused it, as a real controller reacts: watchers see the cause first.
      const work = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.react(e)).catch(() => undefined);
      this.pending.add(work);
      void work.finally(() => this.pending.delete(work));
    });
  }

  /** Resolves when every reaction started so far has run. */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private async react(e: WatchEvent): Promise<void> {
    const { object: obj } = e;
    const ns = obj.metadata.namespace;
    if (e.type === 'DELETED') return this.cascade(e.plural, obj);
    if (e.plural === 'jobs' && e.type === 'ADDED') return this.startJob(obj);
    if (e.plural !== 'deployments') return;
    const spec = obj.spec as { replicas?: number };
    const mark = `${String(obj.metadata.generation)}/${spec.replicas ?? 1}`;
    const key = `${ns}/${obj.metadata.name}`;
    if (this.seen.get(key) === mark) return; // a status write of ours, not a new rollout
    this.seen.set(key, mark);
    this.rollout(ns!, obj.metadata.name, this.deploymentBehaviour(obj));
  }

  private cascade(plural: string, obj: KObject): void {
    const ns = obj.metadata.namespace;
    if (plural === 'pods') { this.logs.endPod(ns!, obj.metadata.name); return; }
    if (plural === 'namespaces') {
      for (const t of ['pods', 'services', 'secrets', 'configmaps', 'deployments', 'jobs', 'ingresses', 'events']) this.deleteAll(t, obj.metadata.name);
      return;
    }
    if (plural === 'jobs') this.deletePods(ns!, `job-name=${obj.metadata.name}`);
    if (plural === 'deployments') {
      this.seen.delete(`${ns}/${obj.metadata.name}`);
      this.deletePods(ns!, selectorOf(obj));
    }
  }

  private deleteAll(plural: string, ns: string): void {
    const type = [POD, JOB, DEPLOYMENT].find((t) => t.plural === plural) ?? this.typeOf(plural);
    for (const o of this.store.list(type, ns)) this.store.remove(type, ns, o.metadata.name);
  }

  private typeOf(plural: string): ResourceType {
    const kinds: Record<string, [string, string]> = { services: ['v1', 'Service'], secrets: ['v1', 'Secret'], configmaps: ['v1', 'ConfigMap'], ingresses: ['networking.k8s.io/v1', 'Ingress'], events: ['v1', 'Event'] };
    const [apiVersion, kind] = kinds[plural]!;
    return typeOfKind(apiVersion, kind)!;
  }

  private deletePods(ns: string, selector: string): void {
    for (const p of this.store.list(POD, ns, selector)) this.store.remove(POD, ns, p.metadata.name);
  }

  private async startJob(job: KObject): Promise<void> {
    const ns = job.metadata.namespace!;
    const template = (job.spec as { template: { metadata?: { labels?: Record<string, string> }; spec: Spec } }).template;
    const name = `${job.metadata.name}-${rand()}`;
    const labels = { ...template.metadata?.labels, 'job-name': job.metadata.name, 'batch.kubernetes.io/job-name': job.metadata.name, 'controller-uid': String(job.metadata.uid) };
    const waiting = { waiting: { reason: 'PodInitializing' } };
    this.store.create(POD, ns, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels },
      spec: template.spec as unknown as JsonObject,
      status: {
        phase: 'Pending',
        ...(template.spec.initContainers ? { initContainerStatuses: template.spec.initContainers.map((c) => containerStatus(c, waiting)) } : {}),
        containerStatuses: template.spec.containers.map((c) => containerStatus(c, waiting)),
      },
    });
    this.store.mutate(JOB, ns, job.metadata.name, (j) => { j.status = { active: 1, startTime: now() }; });
    await this.jobScript(this.jobRun(ns, job, name));
  }

  private jobRun(ns: string, job: KObject, pod: string): JobRun {
    return {
      namespace: ns, job, pod,
      log: (container, line) => this.logs.append(ns, pod, container, line),
      start: (container) => this.setContainer(ns, pod, container, { running: { startedAt: now() } }),
      exit: (container, exitCode, message) => {
        this.setContainer(ns, pod, container, { terminated: { exitCode, reason: exitCode ? 'Error' : 'Completed', ...(message ? { message } : {}), startedAt: now(), finishedAt: now() } });
        this.logs.end(ns, pod, container);
        this.finishJobIfDone(ns, job.metadata.name, pod);
      },
    };
  }

  /** Sets one container's state (init or main) and the pod phase that follows from it. */
  setContainer(ns: string, pod: string, container: string, state: JsonObject): void {
    this.store.mutate(POD, ns, pod, (p) => {
      const status = p.status as { phase: string; initContainerStatuses?: JsonObject[]; containerStatuses: JsonObject[] };
      const all = [...(status.initContainerStatuses ?? []), ...status.containerStatuses];
      const c = all.find((s) => s.name === container);
      if (!c) throw new Error(`no container ${container} in pod ${pod}`);
      c.state = state;
      if (status.containerStatuses.includes(c) && state.running) status.phase = 'Running';
    });
  }

  private finishJobIfDone(ns: string, jobName: string, podName: string): void {
    const pod = this.store.get(POD, ns, podName);
    const status = pod.status as { initContainerStatuses?: Array<{ state: JsonObject }>; containerStatuses: Array<{ state: JsonObject }> };
    const exit = (s: { state: JsonObject }) => (s.state.terminated as { exitCode?: number } | undefined)?.exitCode;
    const initFailed = (status.initContainerStatuses ?? []).some((s) => (exit(s) ?? 0) !== 0);
    const mainDone = status.containerStatuses.every((s) => exit(s) !== undefined);
    if (!initFailed && !mainDone) return;
    const ok = !initFailed && status.containerStatuses.every((s) => exit(s) === 0);
    this.store.mutate(POD, ns, podName, (p) => { (p.status as JsonObject).phase = ok ? 'Succeeded' : 'Failed'; });
    this.store.mutate(JOB, ns, jobName, (j) => {
      j.status = {
        ...(j.status as JsonObject), active: 0, ...(ok ? { succeeded: 1, completionTime: now() } : { failed: 1 }),
        conditions: [ok ? { type: 'Complete', status: 'True', lastTransitionTime: now() }
          : { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: now() }],
      };
    });
  }

  /** Moves a Deployment's rollout the way `behaviour` says (tests call it directly for step-by-step rollouts). */
  rollout(ns: string, name: string, behaviour: DeploymentBehaviour): void {
    if (behaviour.kind === 'hold') return;
    const dep = this.store.get(DEPLOYMENT, ns, name);
    const want = (dep.spec as { replicas?: number }).replicas ?? 1;
    const generation = dep.metadata.generation as number;
    if (behaviour.kind === 'deadline') {
      this.setDeploymentStatus(ns, name, { observedGeneration: generation, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${name}" has timed out progressing.` }] });
      return;
    }
    const hash = templateHash(dep);
    const pods = this.store.list(POD, ns, selectorOf(dep));
    const hashOf = (p: KObject) => (p.metadata.labels as Record<string, string> | undefined)?.['pod-template-hash'];
    const old = pods.filter((p) => hashOf(p) !== hash);
    const current = pods.filter((p) => hashOf(p) === hash);
    current.slice(want).forEach((p) => this.store.remove(POD, ns, p.metadata.name));
    const fresh = Array.from({ length: Math.max(0, want - current.length) }, () => this.createPod(dep, hash, behaviour));
    if (behaviour.kind === 'ready') {
      old.forEach((p) => this.store.remove(POD, ns, p.metadata.name));
      this.setDeploymentStatus(ns, name, {
        observedGeneration: generation, replicas: want, updatedReplicas: want, readyReplicas: want, availableReplicas: want,
        conditions: [{ type: 'Available', status: 'True' }, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }],
      });
      return;
    }
    const updated = Math.min(want, current.length + fresh.length);
    this.setDeploymentStatus(ns, name, {
      observedGeneration: generation, replicas: old.length + updated, updatedReplicas: updated, readyReplicas: old.length, availableReplicas: old.length,
      conditions: [{ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated' }],
    });
  }

  private setDeploymentStatus(ns: string, name: string, status: JsonObject): void {
    this.store.mutate(DEPLOYMENT, ns, name, (d) => { d.status = status; });
  }

  private createPod(dep: KObject, hash: string, behaviour: DeploymentBehaviour): string {
    const ns = dep.metadata.namespace!;
    const template = (dep.spec as { template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: Spec } }).template;
    const name = `${dep.metadata.name}-${hash}-${rand()}`;
    const ready = behaviour.kind === 'ready';
    const state: JsonObject = behaviour.kind === 'waiting' ? { waiting: { reason: behaviour.reason, ...(behaviour.message ? { message: behaviour.message } : {}) } } : { running: { startedAt: now() } };
    const restarts = behaviour.kind === 'waiting' && behaviour.reason === 'CrashLoopBackOff' ? 3 : 0;
    this.store.create(POD, ns, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: ns, labels: { ...template.metadata.labels, 'pod-template-hash': hash }, annotations: template.metadata.annotations ?? {} },
      spec: template.spec as unknown as JsonObject,
      status: {
        phase: behaviour.kind === 'waiting' ? 'Pending' : 'Running', startTime: now(),
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
        containerStatuses: template.spec.containers.map((c) => containerStatus(c, state, ready, restarts)),
      },
    });
    const lines = behaviour.kind === 'waiting' || behaviour.kind === 'unready' ? behaviour.logs ?? [] : [];
    for (const c of template.spec.containers) for (const line of lines) this.logs.append(ns, name, c.name, line);
    return name;
  }
}

/** The label selector of a Deployment's pods, as a string. */
export function selectorOf(dep: KObject): string {
  const labels = (dep.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

/** The pod-template-hash of a Deployment's current template. */
export function templateHash(dep: KObject): string {
  return crypto.createHash('sha256').update(JSON.stringify((dep.spec as JsonObject).template)).digest('hex').slice(0, 10);
}
