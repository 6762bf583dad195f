// runtime/kubernetes/discovery.ts — which API versions the cluster serves where Kubernetes releases differ: the
// HorizontalPodAutoscaler is `autoscaling/v2` from 1.23 on and only `autoscaling/v2beta2` on 1.20-1.22 (our test
// cluster). Asked once per client (kubernetes-runtime.ts) and cached; a failed request is asked again next time.
import { AutoscalingApi } from '@kubernetes/client-node';
import { isNotFound, kubeError, type Kube } from './client.ts';
import { HPA_API_VERSIONS, type HpaApiVersion } from './manifests.ts';

const cache = new WeakMap<Kube, Promise<HpaApiVersion | undefined>>();

/** The preferred of HPA_API_VERSIONS among the group versions a server lists, or undefined when it lists neither. */
export function toHpaApiVersion(served: string[]): HpaApiVersion | undefined {
  return HPA_API_VERSIONS.find((v) => served.includes(v));
}

async function discover(kube: Kube): Promise<HpaApiVersion | undefined> {
  try {
    const group = await kube.kc.makeApiClient(AutoscalingApi).getAPIGroup();
    return toHpaApiVersion((group.versions ?? []).map((v) => v.groupVersion));
  } catch (err) {
    if (isNotFound(err)) return undefined; // no autoscaling group at all
    throw kubeError('read which autoscaling API versions it serves', err);
  }
}

/** The HorizontalPodAutoscaler API version this client's server serves (undefined: none the controller writes); cached per client. */
export function hpaApiVersion(kube: Kube): Promise<HpaApiVersion | undefined> {
  let found = cache.get(kube);
  if (!found) {
    found = discover(kube);
    cache.set(kube, found);
    found.catch(() => cache.delete(kube));
  }
  return found;
}
