// runtime/kubernetes/registry-secret.ts — copies PAAS_REGISTRY_SECRET from the platform namespace to where it is
// used: the build namespace (Kaniko pushes with it) and each app namespace (nodes pull with it).
import type { Config } from '../../core/config.ts';
import { kubeError, type Kube } from './client.ts';
import type { KubeObject } from './manifests.ts';

/** The registry Secret as a `kubernetes.io/dockerconfigjson` Secret named `name` in `namespace`; undefined when none is configured. */
export async function registrySecretCopy(
  kube: Kube, config: Pick<Config, 'namespace' | 'registrySecret'>, namespace: string, name: string, labels: Record<string, string>,
): Promise<KubeObject | undefined> {
  if (!config.registrySecret) return undefined;
  const src = await kube.core.readNamespacedSecret({ namespace: config.namespace, name: config.registrySecret })
    .catch((err: unknown) => { throw kubeError(`read the registry Secret ${config.namespace}/${config.registrySecret}`, err); });
  return { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', data: src.data, metadata: { name, namespace, labels } } as KubeObject;
}
