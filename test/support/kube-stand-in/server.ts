// test/support/kube-stand-in/server.ts — a stand-in Kubernetes API server over real HTTP, for tests only: discovery,
// GET/LIST/POST/PUT/DELETE (and deletecollection), server-side apply and merge PATCH, watch (410 Expired after a
// compaction; ended or failed on demand), and pod logs with follow. The controller talks to it through the real
// @kubernetes/client-node, so nothing of the client is mocked.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import { ApiError } from './errors.ts';
import { PodLogs } from './pod-logs.ts';
import { discovery, typeOfKind, typeOfPlural, type ResourceType } from './resources.ts';
import { Simulator } from './sim.ts';
import { matchesFields, matchesLabels, Store, type KObject } from './store.ts';
import type { JsonObject } from './ssa.ts';

export interface RecordedRequest { method: string; path: string; query: URLSearchParams; contentType?: string }

export interface StandIn {
  url: string;
  store: Store;
  sim: Simulator;
  logs: PodLogs;
  requests: RecordedRequest[];
  /** While set, every watch request is answered with this HTTP status (a failing API server). */
  watchFault?: number;
  /** Ends every open watch, as an API server does now and then. */
  endWatches(): void;
  /** Resolves once no watch is open any more (a client stopped watching). */
  watchesClosed(): Promise<void>;
  /** A KubeConfig pointing at the stand-in, for the real client. */
  kubeConfig(): KubeConfig;
  /** The same as a kubeconfig file's YAML (for a platform started as a child process). */
  kubeconfigYaml(): string;
  /** One object by apiVersion and kind, or undefined. */
  find(apiVersion: string, kind: string, ns: string | undefined, name: string): KObject | undefined;
  /** Objects of a kind, optionally in one namespace and matching a label selector. */
  list(apiVersion: string, kind: string, ns?: string, labelSelector?: string): KObject[];
  close(): Promise<void>;
}

interface Target { type: ResourceType; ns?: string; name?: string; sub?: string }

const POD = typeOfKind('v1', 'Pod')!;

function parsePath(path: string): Target | undefined {
  const segs = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string, version: string, rest: string[];
  if (segs[0] === 'api') [group, version, rest] = ['', segs[1] ?? '', segs.slice(2)];
  else if (segs[0] === 'apis') [group, version, rest] = [segs[1] ?? '', segs[2] ?? '', segs.slice(3)];
  else return undefined;
  let ns: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) { ns = rest[1]; rest = rest.slice(2); }
  const type = typeOfPlural(group, version, rest[0] ?? '');
  return type && { type, ns, name: rest[1], sub: rest[2] };
}

function send(res: http.ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: http.IncomingMessage): Promise<JsonObject> {
  let text = '';
  for await (const chunk of req) text += chunk;
  const type = req.headers['content-type'] ?? '';
  try {
    return (type.includes('yaml') ? YAML.parse(text) : JSON.parse(text)) as JsonObject;
  } catch (err) {
    throw new ApiError(400, 'BadRequest', `the body is not valid ${type.includes('yaml') ? 'YAML' : 'JSON'}: ${(err as Error).message}`);
  }
}

/** Serves the API: routes each request to its verb on the store, the watch streams and the pod logs. */
class StandInServer {
  readonly open = new Set<http.ServerResponse>();
  readonly watches = new Set<http.ServerResponse>();
  private idle: Array<() => void> = [];
  watchFault?: number;
  constructor(readonly store: Store, readonly logs: PodLogs) {}

  watchesClosed(): Promise<void> {
    return this.watches.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const doc = req.method === 'GET' ? discovery(url.pathname.replace(/\/$/, '')) : undefined;
    if (doc) return send(res, 200, doc);
    const t = parsePath(url.pathname);
    if (!t) throw new ApiError(404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    const q = url.searchParams;
    const manager = q.get('fieldManager') ?? 'unknown';
    const { type, ns, name } = t;
    if (t.sub === 'log' && req.method === 'GET' && type === POD) return this.streamLogs(res, ns!, name!, q);
    if (t.sub !== undefined) throw new ApiError(404, 'NotFound', `subresource ${t.sub} is not served here`);
    switch (req.method) {
      case 'GET':
        if (name) return send(res, 200, this.store.get(type, ns, name));
        if (q.get('watch') === 'true' || q.get('watch') === '1') return this.watch(res, type, ns, q);
        return send(res, 200, {
          kind: `${type.kind}List`, apiVersion: type.group ? `${type.group}/${type.version}` : type.version,
          metadata: { resourceVersion: String(this.store.resourceVersion) },
          items: this.store.list(type, ns, q.get('labelSelector') ?? undefined, q.get('fieldSelector') ?? undefined),
        });
      case 'POST':
        if (name) throw new ApiError(405, 'MethodNotAllowed', 'POST to a named object');
        return send(res, 201, this.store.create(type, ns, (await readBody(req)) as KObject, manager));
      case 'PUT':
        return send(res, 200, this.store.update(type, ns, name!, (await readBody(req)) as KObject, manager));
      case 'PATCH':
        return send(res, 200, await this.patch(req, type, ns, name!, q));
      case 'DELETE':
        if (!name) {
          const gone = this.store.list(type, ns, q.get('labelSelector') ?? undefined).map((o) => this.store.remove(type, o.metadata.namespace, o.metadata.name));
          return send(res, 200, { kind: `${type.kind}List`, apiVersion: 'v1', metadata: {}, items: gone });
        }
        this.store.remove(type, ns, name);
        return send(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: type.plural } });
      default:
        throw new ApiError(405, 'MethodNotAllowed', `${req.method} is not supported`);
    }
  }

  private async patch(req: http.IncomingMessage, type: ResourceType, ns: string | undefined, name: string, q: URLSearchParams): Promise<KObject> {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const body = await readBody(req);
    if (contentType === 'application/apply-patch+yaml') {
      const manager = q.get('fieldManager');
      if (!manager) throw new ApiError(400, 'BadRequest', 'PATCH, application/apply-patch+yaml: fieldManager is required for apply requests');
      if (!body.apiVersion || !body.kind) throw new ApiError(400, 'BadRequest', 'apiVersion and kind are required in an apply patch');
      return this.store.apply(type, ns, name, body as KObject, manager, q.get('force') === 'true');
    }
    if (q.get('force') !== null) throw new ApiError(400, 'BadRequest', 'force may only be specified with apply patches');
    if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') {
      return this.store.patch(type, ns, name, body, q.get('fieldManager') ?? 'unknown');
    }
    throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${contentType}`);
  }

  private watch(res: http.ServerResponse, type: ResourceType, ns: string | undefined, q: URLSearchParams): void {
    const labels = q.get('labelSelector') ?? undefined;
    const fields = q.get('fieldSelector') ?? undefined;
    const matches = (o: KObject) => (!ns || o.metadata.namespace === ns) && matchesLabels(labels, o.metadata.labels as Record<string, string>) && matchesFields(fields, o);
    if (this.watchFault) throw new ApiError(this.watchFault, 'InternalError', 'the stand-in was told to fail watches');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders(); // the client waits for the headers before it reads events
    // An event can come between ending a watch (endWatches, timeoutSeconds) and its close: it is not written.
    const write = (kind: string, object: unknown) => { if (!res.writableEnded) res.write(`${JSON.stringify({ type: kind, object })}\n`); };
    const since = q.get('resourceVersion');
    if (since && this.store.expired(Number(since))) {
      // What a real API server sends for a compacted resourceVersion: the client has to list again.
      write('ERROR', new ApiError(410, 'Expired', `too old resource version: ${since} (${this.store.resourceVersion})`).toStatus());
      res.end();
      return;
    }
    this.open.add(res);
    this.watches.add(res);
    if (since && since !== '0') {
      for (const e of this.store.history) if (e.rv > Number(since) && e.plural === type.plural && matches(e.object)) write(e.type, e.object);
    } else {
      for (const o of this.store.list(type, ns, labels, fields)) write('ADDED', o);
    }
    const unsubscribe = this.store.subscribe((e) => { if (e.plural === type.plural && matches(e.object)) write(e.type, e.object); });
    const timeout = Number(q.get('timeoutSeconds') ?? 0);
    const timer = timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
    res.on('close', () => {
      unsubscribe();
      clearTimeout(timer);
      this.open.delete(res);
      this.watches.delete(res);
      if (this.watches.size === 0) this.idle.splice(0).forEach((resolve) => resolve());
    });
  }

  private streamLogs(res: http.ServerResponse, ns: string, name: string, q: URLSearchParams): void {
    const pod = this.store.get(POD, ns, name);
    const status = pod.status as { initContainerStatuses?: JsonObject[]; containerStatuses?: JsonObject[] } | undefined;
    const spec = pod.spec as { initContainers?: Array<{ name: string }>; containers: Array<{ name: string }> };
    const container = q.get('container') ?? (spec.containers.length === 1 ? spec.containers[0]!.name : undefined);
    if (!container) throw new ApiError(400, 'BadRequest', `a container name must be specified for pod ${name}, choose one of: [${spec.containers.map((c) => c.name).join(' ')}]`);
    const cs = [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])].find((c) => c.name === container);
    if (!cs) throw new ApiError(400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    const state = cs.state as { waiting?: { reason?: string }; running?: unknown; terminated?: unknown } | undefined;
    if (!state || (state.waiting && q.get('previous') !== 'true')) {
      throw new ApiError(400, 'BadRequest', `container "${container}" in pod "${name}" is waiting to start: ${state?.waiting?.reason ?? 'ContainerCreating'}`);
    }
    const stamp = q.get('timestamps') === 'true';
    const since = q.get('sinceTime');
    let lines = this.logs.lines(ns, name, container).filter((l) => !since || l.time >= since);
    const tail = q.get('tailLines');
    if (tail !== null) lines = lines.slice(-Number(tail));
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.flushHeaders();
    const write = (l: { time: string; text: string }) => res.write(`${stamp ? `${l.time} ` : ''}${l.text}\n`);
    lines.forEach(write);
    if (q.get('follow') !== 'true' || state.terminated) { res.end(); return; }
    this.open.add(res);
    const stop = this.logs.follow(ns, name, container, write, () => res.end());
    res.on('close', () => { stop(); this.open.delete(res); });
  }
}

/** Starts the stand-in on 127.0.0.1 and a free port. */
export async function startStandIn(): Promise<StandIn> {
  const store = new Store();
  const logs = new PodLogs();
  const sim = new Simulator(store, logs);
  const requests: RecordedRequest[] = [];
  const api = new StandInServer(store, logs);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, contentType: req.headers['content-type'] });
    api.handle(req, res, url).catch((err: unknown) => {
      const e = err instanceof ApiError ? err : new ApiError(500, 'InternalError', (err as Error).message);
      if (!res.headersSent) send(res, e.code, e.toStatus());
      else res.end();
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const options = {
    clusters: [{ name: 'stand-in', server: url, skipTLSVerify: true }],
    users: [{ name: 'test', token: 'stand-in-token' }],
    contexts: [{ name: 'stand-in', cluster: 'stand-in', user: 'test' }],
    currentContext: 'stand-in',
  };
  return {
    url, store, sim, logs, requests,
    get watchFault() { return api.watchFault; },
    set watchFault(code) { api.watchFault = code; },
    endWatches: () => { for (const res of api.watches) res.end(); },
    watchesClosed: () => api.watchesClosed(),
    kubeConfig() { const kc = new KubeConfig(); kc.loadFromOptions(options); return kc; },
    kubeconfigYaml: () => YAML.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'stand-in',
      clusters: [{ name: 'stand-in', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'test', user: { token: 'stand-in-token' } }],
      contexts: [{ name: 'stand-in', context: { cluster: 'stand-in', user: 'test' } }],
    }),
    find: (apiVersion, kind, ns, name) => store.find(typeOfKind(apiVersion, kind)!, ns, name),
    list: (apiVersion, kind, ns, labelSelector) => store.list(typeOfKind(apiVersion, kind)!, ns, labelSelector),
    async close() {
      logs.endAll();
      for (const res of api.open) res.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
