// runtime/kubernetes/watch.ts — client-node's informer over pods or Deployments of a namespace: it lists, then
// watches from the list's resourceVersion, resumes when the server ends a watch and re-lists on 410 Gone. Kept
// alive here: after an error it starts again with a back-off, until stopped. Used by rollout-watch.ts, job-run.ts
// and logs.ts.
import {
  ListWatch, Watch, type Informer, type KubernetesListObject, type KubernetesObject, type ObjectCache, type V1Deployment, type V1Pod,
} from '@kubernetes/client-node';
import type { Kube } from './client.ts';

/** A collection's objects, current as of the last event: client-node's informer and its cache. */
export type Informed<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

export interface Selectors { labelSelector?: string; fieldSelector?: string }

/**
 * A Watch that opens no stream for a stopped informer. ListWatch re-lists and then watches without looking at
 * whether it was stopped meanwhile, and a stop() while the request is in flight has nothing to abort yet.
 */
class StoppableWatch extends Watch {
  stopped = false;

  override async watch(...args: Parameters<Watch['watch']>): Promise<AbortController> {
    const ctl = this.stopped ? new AbortController() : await super.watch(...args);
    if (this.stopped) ctl.abort();
    return ctl;
  }
}

/**
 * The informer makeInformer() returns (a ListWatch), made with its constructor because makeInformer takes no field
 * selector and no Watch of ours. ListWatch stops for good on any error but 410; this one starts again after 0.2 s,
 * doubling to 5 s.
 */
class LiveInformer<T extends KubernetesObject> extends ListWatch<T> {
  private failures = 0;
  private retry?: NodeJS.Timeout;

  constructor(private readonly guard: StoppableWatch, path: string, list: () => Promise<KubernetesListObject<T>>, sel: Selectors) {
    super(path, guard, list, false, sel.labelSelector, sel.fieldSelector);
    this.on('change', () => { this.failures = 0; });
    this.on('error', () => {
      // stop() aborts the stream, which reports an AbortError: not a failure.
      if (this.guard.stopped) return;
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.start(), Math.min(5000, 200 * 2 ** this.failures++)).unref();
    });
  }

  /** Lists and starts watching; resolves once the watch is connected (or has failed, and will be retried). */
  override async start(): Promise<void> {
    this.guard.stopped = false;
    await super.start();
  }

  override async stop(): Promise<void> {
    this.guard.stopped = true;
    clearTimeout(this.retry);
    await super.stop();
  }
}

/** An informer (not started) over a namespace's pods that match the selectors; onChange runs after every change. */
export function podInformer(kube: Kube, ns: string, sel: Selectors, onChange: () => void): Informed<V1Pod> {
  const informer = new LiveInformer<V1Pod>(new StoppableWatch(kube.kc), `/api/v1/namespaces/${ns}/pods`,
    () => kube.core.listNamespacedPod({ namespace: ns, ...sel }), sel);
  informer.on('change', onChange);
  return informer;
}

/** An informer (not started) over a namespace's Deployments; onChange runs after every change. */
export function deploymentInformer(kube: Kube, ns: string, onChange: () => void): Informed<V1Deployment> {
  const informer = new LiveInformer<V1Deployment>(new StoppableWatch(kube.kc), `/apis/apps/v1/namespaces/${ns}/deployments`,
    () => kube.apps.listNamespacedDeployment({ namespace: ns }), {});
  informer.on('change', onChange);
  return informer;
}
