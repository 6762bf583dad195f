// runtime/kubernetes/apply.ts — writes objects with server-side apply under the controller's one field
// manager (forced: the platform owns what it applies), after validating them; merge patches (scale, restart); and
// deletes what a release no longer has.
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { isNotFound, kubeError, statusOf, type Kube } from './client.ts';
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
      if (obj.kind === 'Deployment') await replaceStaleProbes(kube, obj);
      // A copy: the client fills in defaults (namespace) on the object it is given.
      out.push(await kube.objects.patch(structuredClone(obj) as KubernetesObject, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply));
    } catch (err) {
      throw kubeError(`apply ${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`, err);
    }
  }
  return out;
}

/**
 * The field manager that holds an autoscaled Deployment's `spec.replicas` while the controller's applies leave the
 * field out (Kubernetes' documented hand-over of replicas to an autoscaler; docs/kubernetes.md).
 */
export const REPLICAS_MANAGER = 'paas-replicas-handover';

/**
 * Applies the Deployment's current replica count under REPLICAS_MANAGER (not forced), so that the controller's next
 * apply without replicas does not delete the field (the count would fall to 1). Reads the count, then applies it;
 * when the autoscaler changed it in between (a conflict), reads again. A count outside `bounds` (the autoscaler's min
 * and max) is first set within them, with a merge patch: the autoscaler treats a target at 0 as disabled and would
 * never start a pod of a type autoscaled from 0. False when the Deployment does not exist.
 */
export async function handOverReplicas(kube: Kube, namespace: string, name: string, bounds: { min: number; max: number }): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    let replicas: number | undefined;
    try {
      replicas = (await kube.apps.readNamespacedDeployment({ name, namespace })).spec?.replicas;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw kubeError(`read Deployment ${namespace}/${name}`, err);
    }
    if (replicas === undefined) return true;
    const within = Math.min(Math.max(replicas, bounds.min), bounds.max);
    if (within !== replicas && attempt < 3) {
      // An update (not an apply): it takes the field from whoever set the old count, so the apply below cannot conflict.
      const patch = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { replicas: within } };
      try {
        await kube.objects.patch(patch as KubernetesObject, undefined, undefined, REPLICAS_MANAGER, undefined, PatchStrategy.MergePatch);
      } catch (err) {
        if (isNotFound(err)) return false;
        throw kubeError(`scale Deployment ${namespace}/${name} to ${within} (its autoscaler's bounds)`, err);
      }
      continue; // read the count again and hand it over
    }
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace }, spec: { replicas } };
    try {
      await kube.objects.patch(obj as KubernetesObject, undefined, undefined, REPLICAS_MANAGER, false, PatchStrategy.ServerSideApply);
      return true;
    } catch (err) {
      if (statusOf(err) !== 409 || attempt >= 3) throw kubeError(`hand Deployment ${namespace}/${name}'s replicas over to its autoscaler`, err);
    }
  }
}

const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const HANDLERS = ['exec', 'httpGet', 'tcpSocket', 'grpc'];

type ProbeContainer = { name: string } & Partial<Record<(typeof PROBES)[number], Record<string, unknown>>>;
type WithTemplate = { spec?: { template?: { spec?: { containers?: ProbeContainer[] } } } };

/** The probes of a pod template whose handler a new template drops or changes: `web/readinessProbe httpGet→tcpSocket`. */
export function staleProbes(live: WithTemplate, next: WithTemplate): string[] {
  const handler = (probe: Record<string, unknown> | undefined) => (probe ? HANDLERS.filter((h) => probe[h] !== undefined).join('+') || '?' : '');
  const out: string[] = [];
  for (const c of live.spec?.template?.spec?.containers ?? []) {
    const n = next.spec?.template?.spec?.containers?.find((x) => x.name === c.name);
    for (const key of PROBES) {
      const [was, will] = [handler(c[key]), handler(n?.[key])];
      if (was && was !== will) out.push(`${c.name}/${key} ${was}→${will || 'none'}`);
    }
  }
  return out;
}

/**
 * Server-side apply cannot take a probe away, nor change its handler, on Kubernetes 1.20: it removes the fields the
 * manager stops applying but keeps what the server defaulted (httpGet.scheme, successThreshold…), so the probe stays
 * as `httpGet: {scheme: HTTP}` beside the new `tcpSocket` (or as an empty probe), and the Deployment is refused
 * ("may not specify more than 1 handler type", "must specify a handler type"). That is what a rollback from a release
 * with an app.json startup check to one without does. So when the live template has such a probe, its pod template is
 * first replaced whole with the new one (one JSON patch, one rollout); the apply that follows changes nothing more.
 */
async function replaceStaleProbes(kube: Kube, obj: KubeObject): Promise<void> {
  const ref = { apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata!.name!, namespace: obj.metadata!.namespace! } };
  let live: unknown;
  try {
    live = await kube.apps.readNamespacedDeployment({ name: ref.metadata.name, namespace: ref.metadata.namespace });
  } catch (err) {
    if (isNotFound(err)) return;
    throw err;
  }
  if (!staleProbes(live as WithTemplate, obj as WithTemplate).length) return;
  // The generated client sends a patch body as a JSON patch (application/json-patch+json) by default.
  const body = [{ op: 'replace', path: '/spec/template', value: structuredClone((obj as WithTemplate).spec!.template) }];
  await kube.apps.patchNamespacedDeployment({ name: ref.metadata.name, namespace: ref.metadata.namespace, body, fieldManager: FIELD_MANAGER });
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
