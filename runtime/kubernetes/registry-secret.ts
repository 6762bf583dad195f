// runtime/kubernetes/registry-secret.ts — copies PAAS_REGISTRY_SECRET from the platform namespace to where it is
// used: PAAS_REGISTRY_SECRET to the build namespace (Kaniko pushes with it), PAAS_REGISTRY_PULL_SECRET (or the
// same) to each app namespace (nodes pull with it).
import type { Config } from '../../core/config.ts';
import { kubeError, type Kube } from './client.ts';
import type { KubeObject } from './manifests.ts';

/** A copy of the platform namespace's Secret `source` as a `kubernetes.io/dockerconfigjson` Secret named `name` in `namespace`; undefined without a source. */
export async function registrySecretCopy(
  kube: Kube, config: Pick<Config, 'namespace'>, source: string | undefined, namespace: string, name: string, labels: Record<string, string>,
): Promise<KubeObject | undefined> {
  if (!source) return undefined;
  const src = await kube.core.readNamespacedSecret({ namespace: config.namespace, name: source })
    .catch((err: unknown) => { throw kubeError(`read the registry Secret ${config.namespace}/${source}`, err); });
  return { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', data: src.data, metadata: { name, namespace, labels } } as KubeObject;
}
