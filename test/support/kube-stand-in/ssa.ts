// test/support/kube-stand-in/ssa.ts — server-side apply for the stand-in API server: field ownership per field
// manager, conflicts when another manager owns a field with a different value (409 unless force), removal of
// fields a manager stops applying, and the managedFields it reports. Simplification: lists are atomic (owned and
// replaced whole), where the real server merges some of them by key.
import { ApiError } from './errors.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Field ownership of one object, by "<manager>|<operation>": the leaf paths each owns (JSON-encoded path arrays). */
export type Managers = Map<string, { manager: string; operation: 'Apply' | 'Update'; paths: Set<string>; time: string }>;

const ignoredMetadata = new Set(['name', 'namespace', 'resourceVersion', 'managedFields', 'uid', 'creationTimestamp', 'generation', 'deletionTimestamp']);

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every leaf of an object (primitives, lists and empty maps), as [path, value]; status and identity fields are not owned. */
export function leaves(obj: JsonObject): Array<[string[], Json]> {
  const out: Array<[string[], Json]> = [];
  const walk = (value: Json, path: string[]) => {
    if (isObject(value) && Object.keys(value).length > 0) {
      for (const [k, v] of Object.entries(value)) {
        if (path.length === 0 && ['apiVersion', 'kind', 'status'].includes(k)) continue;
        if (path.length === 1 && path[0] === 'metadata' && ignoredMetadata.has(k)) continue;
        walk(v, [...path, k]);
      }
    } else if (path.length > 0) out.push([path, value]);
  };
  walk(obj, []);
  return out;
}

export function getPath(obj: Json | undefined, path: string[]): Json | undefined {
  let cur = obj;
  for (const p of path) cur = isObject(cur) ? cur[p] : undefined;
  return cur;
}

function setPath(obj: JsonObject, path: string[], value: Json): void {
  let cur = obj;
  for (const p of path.slice(0, -1)) {
    if (!isObject(cur[p])) cur[p] = {};
    cur = cur[p] as JsonObject;
  }
  cur[path[path.length - 1]!] = structuredClone(value);
}

function deletePath(obj: JsonObject, path: string[]): void {
  const parents: JsonObject[] = [obj];
  for (const p of path.slice(0, -1)) {
    const next = parents[parents.length - 1]![p];
    if (!isObject(next)) return;
    parents.push(next);
  }
  delete parents[parents.length - 1]![path[path.length - 1]!];
  // Maps left empty by the removal go too, as the real server prunes them.
  for (let i = parents.length - 1; i > 0; i--) {
    if (Object.keys(parents[i]!).length > 0) break;
    delete parents[i - 1]![path[i - 1]!];
  }
}

export function deepEqual(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b) || (isObject(a) && isObject(b) && Object.keys({ ...a, ...b }).every((k) => deepEqual(a[k], b[k])));
}

function owners(managers: Managers, key: string, except: string): string[] {
  return [...managers.values()].filter((e) => e.manager !== except && e.paths.has(key)).map((e) => e.manager);
}

/** Applies `applied` for `manager` over `live` (undefined to create); returns the merged object. Throws 409 on conflicts unless force. */
export function serverSideApply(live: JsonObject | undefined, applied: JsonObject, managers: Managers, manager: string, force: boolean): JsonObject {
  const appliedLeaves = leaves(applied);
  const appliedKeys = new Set(appliedLeaves.map(([p]) => JSON.stringify(p)));
  const conflicts: Array<{ manager: string; path: string[] }> = [];
  for (const [path, value] of appliedLeaves) {
    const key = JSON.stringify(path);
    for (const other of owners(managers, key, manager)) {
      if (!deepEqual(getPath(live, path), value)) conflicts.push({ manager: other, path });
    }
  }
  if (conflicts.length && !force) {
    const list = conflicts.map((c) => `conflict with "${c.manager}": .${c.path.join('.')}`);
    throw new ApiError(409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? 's' : ''}: ${list.join('; ')}`,
      { causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: `.${c.path.join('.')}` })) });
  }
  const result: JsonObject = structuredClone(live ?? { apiVersion: applied.apiVersion!, kind: applied.kind!, metadata: {} });
  const before = managers.get(`${manager}|Apply`);
  for (const key of before?.paths ?? []) {
    if (!appliedKeys.has(key) && owners(managers, key, manager).length === 0) deletePath(result, JSON.parse(key) as string[]);
  }
  for (const [path, value] of appliedLeaves) setPath(result, path, value);
  for (const { manager: other, path } of conflicts) for (const e of managers.values()) if (e.manager === other) e.paths.delete(JSON.stringify(path));
  managers.set(`${manager}|Apply`, { manager, operation: 'Apply', paths: appliedKeys, time: new Date().toISOString() });
  prune(managers);
  return result;
}

/** Records a non-apply write (create, update, merge patch): the manager takes the fields it changed; removed fields lose their owners. */
export function recordUpdate(before: JsonObject | undefined, after: JsonObject, managers: Managers, manager: string): void {
  const old = new Map((before ? leaves(before) : []).map(([p, v]) => [JSON.stringify(p), v]));
  const now = new Map(leaves(after).map(([p, v]) => [JSON.stringify(p), v]));
  const changed = [...now].filter(([k, v]) => !old.has(k) || !deepEqual(old.get(k), v)).map(([k]) => k);
  for (const key of old.keys()) if (!now.has(key)) for (const e of managers.values()) e.paths.delete(key);
  for (const key of changed) for (const e of managers.values()) e.paths.delete(key);
  if (changed.length) {
    const paths = managers.get(`${manager}|Update`)?.paths ?? new Set<string>();
    changed.forEach((k) => paths.add(k));
    managers.set(`${manager}|Update`, { manager, operation: 'Update', paths, time: new Date().toISOString() });
  }
  prune(managers);
}

function prune(managers: Managers): void {
  for (const [key, e] of managers) if (e.paths.size === 0) managers.delete(key);
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? structuredClone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** managedFields as the API reports them (FieldsV1: nested "f:<field>" maps). */
export function toManagedFields(managers: Managers, apiVersion: string): JsonObject[] {
  return [...managers.values()].map((e) => {
    const fields: JsonObject = {};
    for (const key of e.paths) {
      let cur = fields;
      for (const p of JSON.parse(key) as string[]) {
        const k = `f:${p}`;
        if (!isObject(cur[k])) cur[k] = {};
        cur = cur[k] as JsonObject;
      }
    }
    return { manager: e.manager, operation: e.operation, apiVersion, time: e.time, fieldsType: 'FieldsV1', fieldsV1: fields };
  });
}
