// runtime/kubernetes/kubernetes-runtime.ts — the Kubernetes RuntimeDriver: applies a release's objects
// with server-side apply, waits for the rollout as `kubectl rollout status` does, and on failure re-applies the
// previous release and waits for it; plus the release phase Job, scale, autoscaling (a HorizontalPodAutoscaler per
// autoscaled type), restart, ps, logs, domains and destroy.
import type { Config } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import { isPaasError, PaasError } from '../../core/errors.ts';
import { ReleaseBootError } from '../boot-error.ts';
import { RolloutFailedError, type LogOptions, type RuntimeDriver, type Say } from '../driver.ts';
import type { ProcessStatus, ReleaseSpec } from '../types.ts';
import { applyObjects, deleteObject, handOverReplicas, listObjects, mergePatch } from './apply.ts';
import { isRbacRefusal, type Kube } from './client.ts';
import { hpaApiVersion } from './discovery.ts';
import { allEdgeRefs, staleEdgeObjects, toEdgeObjects } from './edge-manifests.ts';
import {
  autoscaledProcesses, toConfigSecret, toKubeRelease, toNamespace, toPlatformConfigMap, toReleaseObjects, type HpaApiVersion,
  type KubeObject, type KubeRelease,
} from './manifests.ts';
import { appLabels, appNamespace, appSelector, labelKeys, objectNames, processName, releasePodSelector } from './names.ts';
import { toProcessStatuses } from './process-status.ts';
import { registrySecretCopy } from './registry-secret.ts';
import { KubernetesReader } from './reader.ts';
import { runReleaseJob } from './release-job.ts';
import { waitForRollout } from './rollout-watch.ts';

/** The pod template annotation `kubectl rollout restart` sets; a new value rolls the Deployment's pods. */
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** Everything an app owns, by kind, for destroy (its namespace goes last and takes anything left with it). */
const appKinds: Array<[string, string]> = [
  ['apps/v1', 'Deployment'], ['batch/v1', 'Job'], ['networking.k8s.io/v1', 'Ingress'], ['v1', 'Service'],
  ['v1', 'Secret'], ['v1', 'ConfigMap'], ['v1', 'Pod'],
];

export class KubernetesRuntime implements RuntimeDriver {
  private readonly reader: KubernetesReader;

  constructor(private kube: Kube, private config: Config, private log?: Logger) {
    this.reader = new KubernetesReader(kube, config);
  }

  /** The release with its image; one built in the embedded mode has none and cannot run here. */
  private kubeRelease(spec: ReleaseSpec): KubeRelease {
    if (!spec.image) throw new PaasError('E_RELEASE_BOOT_FAILED', `v${spec.version} has no image (it was not built in Kubernetes mode); push again to build it`);
    return toKubeRelease(spec, this.config.registry, 0); // the build number only names an image when there is none
  }

  private ns(app: string): string {
    return appNamespace(this.config.namespacePrefix, app);
  }

  /** The app's namespace, and a copy of the registry pull Secret in it when one is configured. */
  private async prepareNamespace(app: string): Promise<void> {
    const pull = await registrySecretCopy(this.kube, this.config, this.config.registryPullSecret, this.ns(app), objectNames.pullSecret, appLabels(app));
    const objs: KubeObject[] = [toNamespace(this.config, app), ...(pull ? [pull] : [])];
    await applyObjects(this.kube, objs);
  }

  async deploy(spec: ReleaseSpec, say: Say, previous?: ReleaseSpec): Promise<void> {
    const r = this.kubeRelease(spec);
    await this.prepareNamespace(r.app);
    say(`-----> Applying v${r.version} to namespace ${this.ns(r.app)}`);
    // Autoscalers are looked for only when this release or the live one autoscales a type (the live one covers a type
    // that goes with this release): an app that never autoscaled asks nothing of the autoscaling API.
    const hpas = autoscaledProcesses(spec).length > 0 || (previous !== undefined && autoscaledProcesses(previous).length > 0);
    try {
      await this.applyRelease(r, hpas);
      await this.waitFor(r, say);
    } catch (err) {
      // Whatever failed (the rollout, or an apply half done), the previous release goes back in place.
      const back = await this.rollBack(r, previous, say, err, hpas);
      if (!isPaasError(err)) throw err;
      throw new RolloutFailedError(err.message, err instanceof ReleaseBootError ? err.lastLines : [], back, { cause: err });
    }
    await this.prune(r, undefined, hpas);
  }

  /** The HorizontalPodAutoscaler version the cluster serves, for a release that autoscales a type. */
  private async requiredHpaVersion(): Promise<HpaApiVersion> {
    const version = await hpaApiVersion(this.kube);
    if (!version) throw new PaasError('E_INTERNAL', 'The cluster serves neither autoscaling/v2 nor autoscaling/v2beta2: autoscaling needs Kubernetes 1.20 or later');
    return version;
  }

  /** A release's objects; the HorizontalPodAutoscaler version is asked of the cluster only when a type is autoscaled. */
  private async releaseObjects(r: KubeRelease): Promise<KubeObject[]> {
    return autoscaledProcesses(r).length ? toReleaseObjects(this.config, r, await this.requiredHpaVersion()) : toReleaseObjects(this.config, r);
  }

  /**
   * Applies a release: first the autoscaled Deployments' replicas go to a field manager of their own (the apply leaves
   * them out and must not reset the autoscaler's count), and the autoscalers of types no longer autoscaled go (so none
   * fights the count the apply sets).
   */
  private async applyRelease(r: KubeRelease, hpas: boolean): Promise<void> {
    const objs = await this.releaseObjects(r);
    for (const p of autoscaledProcesses(r)) await handOverReplicas(this.kube, this.ns(r.app), processName(p.type), p.autoscale);
    if (hpas) await this.pruneAutoscalers(r);
    await applyObjects(this.kube, objs);
  }

  /**
   * The app's HorizontalPodAutoscalers. A 403 (a controller whose ClusterRole predates autoscaling) counts as none,
   * with a warning: a deploy must not fail on what only ps:autoscale needs.
   */
  private async listAutoscalers(app: string, version: string) {
    try {
      return await listObjects(this.kube, version, 'HorizontalPodAutoscaler', this.ns(app), appSelector(app));
    } catch (err) {
      if (!isRbacRefusal((err as { cause?: unknown }).cause)) throw err;
      this.log?.warn({ err, app }, 'cannot list HorizontalPodAutoscalers (RBAC): taken as none; grant horizontalpodautoscalers get/list/create/patch/delete (charts/paas/README.md, "RBAC")');
      return [];
    }
  }

  /** Deletes the app's HorizontalPodAutoscalers of types the release does not autoscale (or no longer has); returns their names. */
  private async pruneAutoscalers(r: KubeRelease): Promise<string[]> {
    const version = await hpaApiVersion(this.kube);
    if (!version) return []; // a cluster without the autoscaling API holds no autoscaler of ours
    const keep = autoscaledProcesses(r).map((p) => processName(p.type));
    const gone: string[] = [];
    for (const h of await this.listAutoscalers(r.app, version)) {
      if (keep.includes(h.metadata!.name!)) continue;
      await deleteObject(this.kube, { apiVersion: version, kind: 'HorizontalPodAutoscaler', metadata: { name: h.metadata!.name!, namespace: this.ns(r.app) } });
      gone.push(h.metadata!.name!);
    }
    return gone;
  }

  /**
   * ps:autoscale and ps:autoscale:off on the live release, without applying its Deployments again (a deploy may be
   * rolling out another release meanwhile): an autoscaled type's replicas are handed over and its autoscaler applied;
   * a type no longer autoscaled loses its autoscaler first, then gets its ps:scale count back (a merge patch, as
   * ps:scale; the next release applies it again).
   */
  async autoscale(_app: string, current?: ReleaseSpec): Promise<void> {
    if (!current?.image) return; // nothing deployed here yet: the first deploy applies it
    const r = this.kubeRelease(current);
    const objs = await this.releaseObjects(r);
    for (const p of autoscaledProcesses(r)) await handOverReplicas(this.kube, this.ns(r.app), processName(p.type), p.autoscale);
    const gone = await this.pruneAutoscalers(r);
    await applyObjects(this.kube, objs.filter((o) => o.kind === 'HorizontalPodAutoscaler'), objs);
    for (const p of r.processes.filter((proc) => gone.includes(processName(proc.type)))) {
      const patch = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: processName(p.type), namespace: this.ns(r.app) }, spec: { replicas: p.quantity } };
      await mergePatch(this.kube, patch, `scale ${p.type}`);
    }
  }

  private waitFor(r: KubeRelease, say: Say): Promise<void> {
    const deployments = r.processes.map((p) => processName(p.type));
    say(`-----> Waiting for ${deployments.join(', ') || 'nothing'} to roll out (v${r.version})`);
    return waitForRollout(this.kube, {
      namespace: this.ns(r.app), deployments, podSelector: releasePodSelector(r.app, r.version), readyTimeoutMs: this.config.bootTimeoutMs,
    }, say);
  }

  /** Puts the previous release back and waits for it; returns its version, or undefined when there was none. */
  private async rollBack(failed: KubeRelease, previous: ReleaseSpec | undefined, say: Say, cause: unknown, hpas: boolean): Promise<number | undefined> {
    if (!previous?.image) {
      await this.prune(failed, [], hpas); // nothing to go back to: stop the failing pods rather than let them crash-loop
      return undefined;
    }
    const p = this.kubeRelease(previous);
    say(`-----> Rolling back to v${p.version}`);
    try {
      // Inside the try: the API server may refuse the old objects too, and the push must still say what failed.
      await this.applyRelease(p, hpas);
      await this.prune(p, undefined, hpas);
      await this.waitFor(p, say);
    } catch (err) {
      const lastLines = cause instanceof ReleaseBootError ? cause.lastLines : [];
      throw new RolloutFailedError(`${(cause as Error).message}; rolling back to v${p.version} failed too: ${(err as Error).message}`, lastLines, undefined, { cause: err });
    }
    return p.version;
  }

  /**
   * Deletes the app's Deployments not in `keep` (types a release no longer has), web's edge objects it no longer has,
   * and web's Service and edge without web; with `hpas`, the autoscalers of types not autoscaled.
   */
  private async prune(r: KubeRelease, keep = r.processes.map((p) => processName(p.type)), hpas = true): Promise<void> {
    const ns = this.ns(r.app);
    if (hpas) await this.pruneAutoscalers(keep.length ? r : { ...r, processes: [] });
    for (const d of await listObjects(this.kube, 'apps/v1', 'Deployment', ns, appSelector(r.app))) {
      if (!keep.includes(d.metadata!.name!)) await deleteObject(this.kube, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: d.metadata!.name!, namespace: ns } });
    }
    if (keep.includes(processName('web'))) {
      for (const stale of staleEdgeObjects(this.config, r)) await deleteObject(this.kube, stale);
      return;
    }
    for (const edge of allEdgeRefs(this.config, r.app)) await deleteObject(this.kube, edge);
    await deleteObject(this.kube, { apiVersion: 'v1', kind: 'Service', metadata: { name: objectNames.service, namespace: ns } });
  }

  async runRelease(spec: ReleaseSpec, command: string, say: Say, previous?: ReleaseSpec, label = 'release command'): Promise<void> {
    const r = this.kubeRelease(spec);
    await this.prepareNamespace(r.app);
    // The Job reads the new config from the app's Secret and ConfigMap; running pods read theirs only at start.
    await applyObjects(this.kube, [toConfigSecret(this.config, r), toPlatformConfigMap(this.config, r)]);
    try {
      await runReleaseJob(this.kube, this.config, r, command, say, label, this.config.releaseTimeoutSeconds);
    } catch (err) {
      if (previous?.image) {
        const p = this.kubeRelease(previous);
        await applyObjects(this.kube, [toConfigSecret(this.config, p), toPlatformConfigMap(this.config, p)]);
      }
      throw err;
    }
  }

  /**
   * ps:restart, as `kubectl rollout restart` does it: a new `kubectl.kubernetes.io/restartedAt` on each Deployment's
   * pod template (all types, or one) rolls its pods; web rolls without downtime (its rolling update and readiness).
   */
  async restart(app: string, type: string | undefined, say: Say = () => undefined): Promise<void> {
    const ns = this.ns(app);
    const names = (await listObjects(this.kube, 'apps/v1', 'Deployment', ns, appSelector(app))).map((d) => d.metadata?.name ?? '')
      .filter((name) => name && (type === undefined || name === processName(type)));
    if (type !== undefined && !names.length) throw new PaasError('E_PROCESS_TYPE_UNKNOWN', `${app} runs no ${type} Deployment`);
    const restartedAt = new Date().toISOString();
    for (const name of names) {
      const patch = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns }, spec: { template: { metadata: { annotations: { [RESTARTED_AT]: restartedAt } } } } };
      if (await mergePatch(this.kube, patch, `restart ${name}`)) say(`-----> Restarting deployment "${name}"`);
    }
  }

  /** Patches the replicas of each type's Deployment (a merge patch: only spec.replicas changes). */
  async scale(app: string, quantities: Record<string, number>): Promise<void> {
    for (const [type, replicas] of Object.entries(quantities)) {
      const patch = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: processName(type), namespace: this.ns(app) }, spec: { replicas } };
      if (!(await mergePatch(this.kube, patch, `scale ${type}`))) throw new PaasError('E_PROCESS_TYPE_UNKNOWN', `${app} runs no ${type} Deployment`);
    }
  }

  status(app: string): Promise<ProcessStatus[]> {
    return this.reader.status(app);
  }

  /**
   * Every app's processes in one request (the controller's snapshot for ps and the dashboard). Only the pods in each
   * app's own namespace: another platform on the cluster (its own namespace prefix) labels its pods the same way.
   */
  async statusAll(apps: string[]): Promise<ProcessStatus[]> {
    const pods = await this.kube.core.listPodForAllNamespaces({ labelSelector: `${labelKeys.managedBy}=paas,${labelKeys.release}` });
    return apps.flatMap((app) => toProcessStatuses(app, pods.items.filter((p) =>
      p.metadata?.namespace === this.ns(app) && p.metadata?.labels?.[labelKeys.instance] === app)));
  }

  logs(app: string, opts: LogOptions, out: (line: string) => void): Promise<void> {
    return this.reader.logs(app, opts, out);
  }

  /** Applies web's edge (Ingresses, the uploaded certificate's Secret) for the domains and removes what it no longer has. */
  async setDomains(_app: string, domains: string[], current?: ReleaseSpec): Promise<void> {
    if (!current?.image || !current.processes.some((p) => p.type === 'web')) return;
    const r = this.kubeRelease({ ...current, domains });
    // Checked with the whole release: its Ingresses point at the Service the release has.
    await applyObjects(this.kube, toEdgeObjects(this.config, r), toReleaseObjects(this.config, r));
    for (const stale of staleEdgeObjects(this.config, r)) await deleteObject(this.kube, stale);
  }

  /** The cluster keeps the app running while the platform restarts: nothing to do. */
  async restore(): Promise<void> {}

  /** Deletes everything labelled for the app (its build Jobs and token Secrets in the build namespace too), then its namespace. */
  async stop(app: string): Promise<void> {
    const ns = this.ns(app);
    for (const [apiVersion, kind] of appKinds) {
      for (const o of await listObjects(this.kube, apiVersion, kind, ns, appSelector(app))) {
        await deleteObject(this.kube, { apiVersion, kind, metadata: { name: o.metadata!.name!, namespace: ns } });
      }
    }
    for (const [apiVersion, kind] of [['batch/v1', 'Job'], ['v1', 'Secret']] as const) {
      for (const o of await listObjects(this.kube, apiVersion, kind, this.config.buildNamespace, appSelector(app))) {
        await deleteObject(this.kube, { apiVersion, kind, metadata: { name: o.metadata!.name!, namespace: this.config.buildNamespace } });
      }
    }
    await deleteObject(this.kube, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  }

  /** Platform shutdown: the apps keep running in the cluster. */
  async stopAll(): Promise<void> {}
}
