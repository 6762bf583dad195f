// runtime/kubernetes/apply.ts — writes objects with server-side apply under the controller's one field
// manager (forced: the platform owns what it applies), after validating them; merge patches (scale, restart); and
// deletes what a release no longer has.
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { isNotFound, kubeError, type Kube } from './client.ts';
import type { KubeObject } from './manifests.ts';
import { assertValid } from './validate.ts';

/** The field manager of every apply; `kubectl get -o yaml --show-managed-fields` shows it. */
export const FIELD_MANAGER = 'paas-controller';

/** Validates (with `whole`, the release they belong to), then server-side-applies each object in order; returns what the server stored. */
export async function applyObjects(kube: Kube, objs: KubeObject[], whole: KubeObject[] = objs): Promise<KubernetesObject[]> {
  assertValid(objs, whole);
  const out: KubernetesObject[] = [];
  for (const obj of objs) {
    try {
      // A copy: the client fills in defaults (namespace) on the object it is given.
      out.push(await kube.objects.patch(structuredClone(obj) as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
    } catch (err) {
      throw kubeError(`apply ${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`, err);
    }
  }
  return out;
}

/** A JSON merge patch of one object (only the fields given change); false when the object does not exist. */
export async function mergePatch(kube: Kube, obj: Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace?: string } } & Record<string, unknown>, what: string): Promise<boolean> {
  try {
    await kube.objects.patch(obj as KubernetesObject, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw kubeError(what, err);
  }
}

/** Deletes an object; one that is already gone is fine. Pods of Jobs and Deployments go with them (Background). */
export async function deleteObject(kube: Kube, obj: Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace?: string } }): Promise<void> {
  try {
    await kube.objects.delete(obj as KubernetesObject, undefined, undefined, undefined, undefined, 'Background');
  } catch (err) {
    if (!isNotFound(err)) throw kubeError(`delete ${obj.kind} ${obj.metadata.name}`, err);
  }
}

/** Lists objects of a kind with a label selector (in one namespace, or all). */
export async function listObjects(kube: Kube, apiVersion: string, kind: string, namespace: string | undefined, labelSelector: string): Promise<KubernetesObject[]> {
  try {
    const list = await kube.objects.list(apiVersion, kind, namespace, undefined, undefined, undefined, undefined, labelSelector);
    return list.items;
  } catch (err) {
    if (isNotFound(err)) return [];
    throw kubeError(`list ${kind}`, err);
  }
}
