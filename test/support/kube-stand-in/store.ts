// test/support/kube-stand-in/store.ts — the stand-in API server's object store: resourceVersion on every change,
// generation on spec changes, 404/409 as the real server answers them, label and field selectors, and the event
// history that watches replay and follow.
import crypto from 'node:crypto';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { ConfigMap, Namespace, Pod, Secret, Service } from 'kubernetes-models/v1';
import { ApiError, notFound } from './errors.ts';
import { groupVersion, type ResourceType } from './resources.ts';
import { deepEqual, mergePatch, recordUpdate, serverSideApply, toManagedFields, type Json, type JsonObject, type Managers } from './ssa.ts';

export interface KObject extends JsonObject { apiVersion: string; kind: string; metadata: JsonObject & { name: string; namespace?: string } }
export interface WatchEvent { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED'; plural: string; object: KObject }

interface Entry { type: ResourceType; obj: KObject; managers: Managers }

const schemas: Record<string, new (data: never) => { validate(): void }> = { Namespace, Pod, Secret, ConfigMap, Service, Deployment, Job, Ingress };

/** Parses and matches a label selector: k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b). */
export function matchesLabels(selector: string | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return true;
  const terms = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return terms.map((t) => t.trim()).filter(Boolean).every((term) => {
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const set = m[3]!.split(',').map((s) => s.trim());
      return m[2] === 'in' ? set.includes(labels[m[1]!] ?? '\u0000') : !set.includes(labels[m[1]!] ?? '\u0000');
    }
    if ((m = /^([^\s!=]+)\s*!=\s*(.*)$/.exec(term))) return labels[m[1]!] !== m[2];
    if ((m = /^([^\s!=]+)\s*==?\s*(.*)$/.exec(term))) return labels[m[1]!] === m[2];
    if (term.startsWith('!')) return !(term.slice(1) in labels);
    return term in labels;
  });
}

/** Matches a field selector of dotted paths: metadata.name=x,status.phase!=Running. */
export function matchesFields(selector: string | undefined, obj: KObject): boolean {
  if (!selector) return true;
  return selector.split(',').filter(Boolean).every((term) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term);
    if (!m) throw new ApiError(400, 'BadRequest', `invalid field selector "${term}"`);
    let cur: Json | undefined = obj;
    for (const p of m[1]!.split('.')) cur = typeof cur === 'object' && cur !== null && !Array.isArray(cur) ? cur[p] : undefined;
    const equal = String(cur ?? '') === m[3];
    return m[2] === '!=' ? !equal : equal;
  });
}

export class Store {
  private entries = new Map<string, Entry>();
  private rv = 1000;
  /** Watching from a resourceVersion older than this is 410 Gone: the history before it was compacted away. */
  private compactedAt = 0;
  readonly history: WatchEvent[] = [];
  private listeners = new Set<(e: WatchEvent) => void>();

  get resourceVersion(): number { return this.rv; }

  private key(type: ResourceType, ns: string | undefined, name: string): string {
    return `${type.plural}|${type.namespaced ? ns ?? '' : ''}|${name}`;
  }

  /** The object with its managedFields, or a 404. */
  get(type: ResourceType, ns: string | undefined, name: string): KObject {
    const e = this.entries.get(this.key(type, ns, name));
    if (!e) throw notFound(type.kind, name);
    return this.render(e);
  }

  find(type: ResourceType, ns: string | undefined, name: string): KObject | undefined {
    const e = this.entries.get(this.key(type, ns, name));
    return e && this.render(e);
  }

  list(type: ResourceType, ns?: string, labelSelector?: string, fieldSelector?: string): KObject[] {
    return [...this.entries.values()]
      .filter((e) => e.type === type && (!ns || !type.namespaced || e.obj.metadata.namespace === ns))
      .filter((e) => matchesLabels(labelSelector, e.obj.metadata.labels as Record<string, string>) && matchesFields(fieldSelector, e.obj))
      .map((e) => this.render(e));
  }

  /** Forgets the history as etcd's compaction does: a watch from an older resourceVersion must list again. */
  compact(): void {
    this.history.length = 0;
    this.compactedAt = this.rv;
  }

  /** Whether the changes after a resourceVersion are gone (the watch answers 410 Expired). */
  expired(resourceVersion: number): boolean {
    return resourceVersion < this.compactedAt;
  }

  subscribe(listener: (e: WatchEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** POST: 409 AlreadyExists when the name is taken. */
  create(type: ResourceType, ns: string | undefined, body: KObject, manager = 'unknown'): KObject {
    const name = body.metadata?.name ?? `${String(body.metadata?.generateName ?? 'x-')}${crypto.randomBytes(3).toString('hex').slice(0, 5)}`;
    if (this.entries.has(this.key(type, ns, name))) throw new ApiError(409, 'AlreadyExists', `${type.plural} "${name}" already exists`, { name, kind: type.plural });
    const obj = this.identify(type, ns, { ...structuredClone(body), metadata: { ...structuredClone(body.metadata), name } });
    const managers: Managers = new Map();
    recordUpdate(undefined, obj, managers, manager);
    return this.write(type, undefined, obj, managers);
  }

  /** PUT: a stale resourceVersion is a 409 Conflict, as optimistic concurrency demands. */
  update(type: ResourceType, ns: string | undefined, name: string, body: KObject, manager = 'unknown'): KObject {
    const e = this.entryOrThrow(type, ns, name);
    const given = body.metadata?.resourceVersion;
    if (given !== undefined && given !== e.obj.metadata.resourceVersion) {
      throw new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${type.plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`, { name, kind: type.plural });
    }
    const copy = structuredClone(body);
    delete copy.status; // the main resource never writes status
    const next = this.identify(type, ns, copy, e.obj);
    recordUpdate(e.obj, next, e.managers, manager);
    return this.write(type, e, next, e.managers);
  }

  /** PATCH application/apply-patch+yaml: creates or merges, owning fields per field manager. */
  apply(type: ResourceType, ns: string | undefined, name: string, body: KObject, manager: string, force: boolean): KObject {
    if (body.metadata?.name !== name) throw new ApiError(400, 'BadRequest', `the name of the object (${String(body.metadata?.name)}) does not match the name on the URL (${name})`);
    const e = this.entries.get(this.key(type, ns, name));
    const managers: Managers = e?.managers ?? new Map();
    const merged = serverSideApply(e?.obj, body, managers, manager, force) as KObject;
    merged.metadata.name = name;
    return this.write(type, e, this.identify(type, ns, merged, e?.obj), managers);
  }

  /** PATCH application/merge-patch+json. */
  patch(type: ResourceType, ns: string | undefined, name: string, patch: JsonObject, manager = 'unknown'): KObject {
    const e = this.entryOrThrow(type, ns, name);
    const next = this.identify(type, ns, mergePatch(e.obj, patch) as KObject, e.obj);
    recordUpdate(e.obj, next, e.managers, manager);
    return this.write(type, e, next, e.managers);
  }

  /** Changes an object as a controller of the cluster would (status updates): no validation, no ownership. */
  mutate(type: ResourceType, ns: string | undefined, name: string, change: (obj: KObject) => void): KObject {
    const e = this.entryOrThrow(type, ns, name);
    const next = structuredClone(e.obj);
    change(next);
    return this.write(type, e, next, e.managers, false);
  }

  /** DELETE: a 404 when missing. */
  remove(type: ResourceType, ns: string | undefined, name: string): KObject {
    const e = this.entryOrThrow(type, ns, name);
    this.entries.delete(this.key(type, ns, name));
    e.obj.metadata.resourceVersion = String(++this.rv);
    this.emit('DELETED', e);
    return this.render(e);
  }

  private entryOrThrow(type: ResourceType, ns: string | undefined, name: string): Entry {
    const e = this.entries.get(this.key(type, ns, name));
    if (!e) throw notFound(type.kind, name);
    return e;
  }

  /** Fills in what the server owns: apiVersion, kind, namespace, uid, creation time. */
  private identify(type: ResourceType, ns: string | undefined, obj: KObject, old?: KObject): KObject {
    obj.apiVersion = groupVersion(type);
    obj.kind = type.kind;
    obj.metadata = { ...obj.metadata, ...(type.namespaced ? { namespace: ns! } : {}) };
    obj.metadata.uid = old?.metadata.uid ?? crypto.randomUUID();
    obj.metadata.creationTimestamp = old?.metadata.creationTimestamp ?? new Date().toISOString();
    delete obj.metadata.managedFields;
    if (old?.status !== undefined && obj.status === undefined) obj.status = old.status;
    return obj;
  }

  private write(type: ResourceType, e: Entry | undefined, obj: KObject, managers: Managers, validate = true): KObject {
    if (validate) this.validate(type, obj);
    if (e && deepEqual(e.obj, obj)) return this.render(e); // a no-op write keeps the resourceVersion
    if (type.namespaced && !this.entries.has(`namespaces||${obj.metadata.namespace}`)) {
      throw new ApiError(404, 'NotFound', `namespaces "${obj.metadata.namespace}" not found`, { name: obj.metadata.namespace, kind: 'namespaces' });
    }
    if ('spec' in obj) {
      const generation = Number(e?.obj.metadata.generation ?? 0);
      obj.metadata.generation = !e || !deepEqual(e.obj.spec, obj.spec) ? generation + 1 : generation;
    }
    obj.metadata.resourceVersion = String(++this.rv);
    const next: Entry = { type, obj, managers };
    this.entries.set(this.key(type, obj.metadata.namespace, obj.metadata.name), next);
    this.emit(e ? 'MODIFIED' : 'ADDED', next);
    return this.render(next);
  }

  /** 422 Invalid for what the OpenAPI schema refuses, as the real server's validation does. */
  private validate(type: ResourceType, obj: KObject): void {
    try {
      new schemas[type.kind]!(obj as never).validate();
    } catch (err) {
      throw new ApiError(422, 'Invalid', `${type.kind} "${obj.metadata.name}" is invalid: ${(err as Error).message}`, { name: obj.metadata.name, kind: type.plural });
    }
  }

  private render(e: Entry): KObject {
    const obj = structuredClone(e.obj);
    if (e.managers.size) obj.metadata.managedFields = toManagedFields(e.managers, obj.apiVersion);
    return obj;
  }

  private emit(type: WatchEvent['type'], e: Entry): void {
    const event: WatchEvent = { rv: this.rv, type, plural: e.type.plural, object: this.render(e) };
    this.history.push(event);
    for (const l of this.listeners) l(event);
  }
}
