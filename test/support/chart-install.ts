// test/support/chart-install.ts — charts/paas on the real test cluster, without helm: the chart rendered by
// test/chart/render-chart.ts (the same renderer the chart's unit tests use), its objects given the release namespace
// as `helm install -n` would, and server-side applied (or dry-run) with an admin client. Also what the install needs
// on this machine: TCP forwarders from the docker0 address to the host's PostgreSQL and NATS (pods cannot reach
// 127.0.0.1) that admit the release's pods only (and for PostgreSQL only the test role's startup for its database),
// a fresh database per test owned by a role of its own, and a PersistentVolume for the data claim (the cluster has
// no provisioner).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import pg from 'pg';
import { isNotFound, statusOf, apiMessage, type Kube } from '../../runtime/kubernetes/client.ts';
import { objects, type Obj } from '../chart/chart-objects.ts';
import { eventually, type TestCluster } from './cluster.ts';

/** The field manager the tests apply the chart with (what `kubectl apply --server-side` would call itself). */
export const CHART_MANAGER = 'paas-chart-test';

/** Kinds the chart renders that need a CRD (Prometheus Operator): the only kinds a cluster may not serve. */
export const OPTIONAL_CRD_KINDS = ['monitoring.coreos.com/v1/ServiceMonitor'];

export interface Forwarder { host: string; port: number; close(): Promise<void> }

export interface ForwarderGuard {
  /** Admits a connection by its source address (e.g. only the release's pods); refused ones are closed at once. */
  allow?: (remoteAddress: string) => Promise<boolean>;
  /**
   * Reads the client's first bytes and returns what to send upstream first, or undefined to close the connection
   * (e.g. a PostgreSQL startup message for another user or database).
   */
  gate?: (client: net.Socket) => Promise<Buffer | undefined>;
}

/**
 * A TCP forwarder listening on `host` (port 0: the kernel picks) to `target`: how pods reach a service that listens
 * on the host's loopback only. Each admitted connection is piped both ways; close() ends them all.
 */
export async function tcpForwarder(host: string, target: { host: string; port: number }, guard: ForwarderGuard = {}): Promise<Forwarder> {
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); };
  const server = net.createServer((client) => {
    track(client);
    client.on('error', () => client.destroy());
    void (async () => {
      if (guard.allow && !(await guard.allow(client.remoteAddress ?? ''))) { client.destroy(); return; }
      const first = guard.gate ? await guard.gate(client) : Buffer.alloc(0);
      if (!first || client.destroyed) { client.destroy(); return; }
      const upstream = net.connect(target.port, target.host);
      track(upstream);
      upstream.on('error', () => { client.destroy(); upstream.destroy(); });
      client.on('error', () => upstream.destroy());
      if (first.length) upstream.write(first);
      client.pipe(upstream).pipe(client);
      client.resume();
    })().catch(() => client.destroy());
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, host, resolve); });
  const port = (server.address() as net.AddressInfo).port;
  return {
    host, port,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** Reads exactly one length-prefixed PostgreSQL startup packet (int32 length, then the rest) from a paused socket. */
function readPacket(client: net.Socket, buffered: Buffer[]): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    let data = Buffer.concat(buffered.splice(0));
    const done = (packet: Buffer | undefined) => { client.off('data', onData); client.off('close', onClose); client.pause(); resolve(packet); };
    const check = () => {
      if (data.length < 4) return false;
      const length = data.readInt32BE(0);
      if (length < 8 || length > 10_000) { done(undefined); return true; }
      if (data.length < length) return false;
      if (data.length > length) buffered.push(data.subarray(length));
      done(data.subarray(0, length));
      return true;
    };
    const onData = (chunk: Buffer) => { data = Buffer.concat([data, chunk]); check(); };
    const onClose = () => done(undefined);
    if (check()) return;
    client.on('data', onData);
    client.on('close', onClose);
    client.resume();
  });
}

const SSL_REQUEST = 80877103, GSSENC_REQUEST = 80877104, PROTOCOL_3 = 196608;

/**
 * The gate of a PostgreSQL forwarder: only a startup message (protocol 3.0) for exactly `user` and `database` goes
 * through; SSL and GSS encryption requests are declined ('N': the host server speaks plain TCP on loopback), cancel
 * requests and anything else close the connection. The host's PostgreSQL trusts 127.0.0.1 (no password is checked),
 * so without it any client reaching the forwarder could log in as the superuser.
 */
export function pgStartupGate(allowed: { user: string; database: string }): (client: net.Socket) => Promise<Buffer | undefined> {
  return async (client) => {
    client.pause();
    const buffered: Buffer[] = [];
    for (let round = 0; round < 3; round++) {
      const packet = await readPacket(client, buffered);
      if (!packet) return undefined;
      const code = packet.readInt32BE(4);
      if (code === SSL_REQUEST || code === GSSENC_REQUEST) { client.write('N'); continue; }
      if (code !== PROTOCOL_3) return undefined;
      const fields = packet.subarray(8).toString('utf8').split('\0');
      const params = new Map<string, string>();
      for (let i = 0; i + 1 < fields.length && fields[i]; i += 2) params.set(fields[i]!, fields[i + 1]!);
      if (params.get('user') !== allowed.user || params.get('database') !== allowed.database) return undefined;
      return Buffer.concat([packet, ...buffered]);
    }
    return undefined;
  };
}

/**
 * A database of its own in the host's PostgreSQL (DATABASE_URL's server), owned by a role of its own (random
 * password; not a superuser, no CREATEDB or CREATEROLE) that owns nothing else; the URL names that role. Both are
 * dropped (the database forcibly) when the test ends.
 */
export async function freshDatabase(t: TestContext, adminUrl: string): Promise<{ name: string; role: string; url: URL }> {
  const name = `paas_chart_${crypto.randomBytes(4).toString('hex')}`;
  const password = crypto.randomBytes(18).toString('base64url');
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${name}`);
  } finally { await admin.end(); }
  t.after(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.query(`DROP ROLE IF EXISTS ${name}`);
    } finally { await c.end(); }
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  url.username = name;
  url.password = password;
  return { name, role: name, url };
}

/**
 * Admits only the pods of `namespaces` (their IPs): no other pod or container on the bridge. A pod's first
 * connection can come before the kubelet has reported its IP to the API server, so an unknown address is looked up
 * again for a few seconds before it is refused.
 */
export function podSources(kube: Kube, namespaces: string[], patienceMs = 10_000): (remoteAddress: string) => Promise<boolean> {
  const known = async (ip: string) => {
    for (const namespace of namespaces) {
      const pods = await kube.core.listNamespacedPod({ namespace }).catch(() => ({ items: [] as Array<{ status?: { podIP?: string } }> }));
      if (pods.items.some((p) => p.status?.podIP === ip)) return true;
    }
    return false;
  };
  return async (remoteAddress) => {
    const ip = remoteAddress.replace(/^::ffff:/, '');
    const until = Date.now() + patienceMs;
    for (;;) {
      if (await known(ip)) return true;
      if (Date.now() > until) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  };
}

export interface Rendered { objs: Obj[]; namespaced: Obj[]; clusterScoped: Obj[]; unserved: Obj[] }

/**
 * Renders the chart for `release` and sorts its objects by what the API server serves (discovery): namespaced ones
 * get the release namespace unless they name one (as `helm install -n` does); kinds the server does not serve are
 * set apart (a ServiceMonitor without the Prometheus Operator's CRD).
 */
export async function renderForCluster(kube: Kube, values: Record<string, unknown>, release: { name: string; namespace: string }): Promise<Rendered> {
  const objs = objects(values, release);
  const out: Rendered = { objs: [], namespaced: [], clusterScoped: [], unserved: [] };
  for (const obj of objs) {
    // The client's discovery lookup (cached per API version); protected in its typings, public in what it does.
    const resource = await kube.objects['resource'](obj.apiVersion, obj.kind).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
    if (!resource) { out.unserved.push(obj); continue; }
    if (resource.namespaced) {
      obj.metadata.namespace ??= release.namespace;
      out.namespaced.push(obj);
    } else {
      out.clusterScoped.push(obj);
    }
    out.objs.push(obj);
  }
  // Namespaces first (the build namespace holds a NetworkPolicy), then the rest in the chart's order.
  out.objs.sort((a, b) => Number(b.kind === 'Namespace') - Number(a.kind === 'Namespace'));
  return out;
}

export const kindOf = (o: Obj): string => `${o.apiVersion}/${o.kind}`;
export const nameOf = (o: Obj): string => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

/** Server-side applies one object as the chart's field manager (forced); dryRun sends it with dryRun=All. */
export async function applyObject(kube: Kube, obj: Obj, dryRun = false): Promise<KubernetesObject> {
  try {
    return await kube.objects.patch(structuredClone(obj) as KubernetesObject, undefined, dryRun ? 'All' : undefined, CHART_MANAGER, true, PatchStrategy.ServerSideApply);
  } catch (err) {
    throw new Error(`${dryRun ? 'dry-run ' : ''}apply ${nameOf(obj)}: HTTP ${statusOf(err)} ${apiMessage(err)}`, { cause: err });
  }
}

/** Deletes the cluster-scoped objects of a release and its namespaces when the test ends. */
export function deleteReleaseAfter(t: TestContext, kube: Kube, objs: () => Obj[]): void {
  t.after(async () => {
    for (const obj of objs()) {
      if (obj.metadata.namespace && obj.kind !== 'Namespace') continue; // they go with their namespace
      await kube.objects.delete({ apiVersion: obj.apiVersion, kind: obj.kind, metadata: { name: obj.metadata.name } }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  });
}

/**
 * A hostPath PersistentVolume reserved (claimRef) for the release's data claim: this cluster has no storage class
 * or provisioner, as a bare cluster would not. Its folder is owned by the image's user (uid 1000): a hostPath volume
 * ignores the pod's fsGroup. Deleted, with the folder, when the test ends.
 */
export async function dataVolumeFor(t: TestContext, kube: Kube, claim: { namespace: string; name: string }, size = '1Gi'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-chart-data-'));
  fs.chownSync(dir, 1000, 1000);
  fs.chmodSync(dir, 0o750);
  const name = `${claim.namespace}-data`;
  await kube.core.createPersistentVolume({
    body: {
      metadata: { name, labels: { 'paas.dev/test': 'chart' } },
      spec: {
        capacity: { storage: size }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain',
        storageClassName: '', hostPath: { path: dir, type: 'Directory' },
        claimRef: { namespace: claim.namespace, name: claim.name },
      },
    },
  });
  t.after(async () => {
    await kube.core.deletePersistentVolume({ name }).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** What a Deployment's pods say when it does not roll out: for the failure message. */
async function podReport(kube: Kube, namespace: string): Promise<string> {
  const pods = await kube.core.listNamespacedPod({ namespace });
  const events = await kube.core.listNamespacedEvent({ namespace });
  return [
    ...pods.items.map((p) => `${p.metadata?.name}: ${p.status?.phase} ${JSON.stringify(p.status?.containerStatuses?.map((c) => c.state) ?? p.status?.conditions)}`),
    ...events.items.filter((e) => e.type === 'Warning').slice(-15).map((e) => `event ${e.involvedObject.kind}/${e.involvedObject.name}: ${e.reason} ${e.message}`),
  ].join('\n');
}

/** Waits until every Deployment of the namespace has rolled out (all replicas updated and available). */
export async function waitForRollouts(kube: Kube, namespace: string, names: string[], timeoutMs = 240_000): Promise<void> {
  try {
    await eventually(`${names.join(', ')} rolled out`, async () => {
      for (const name of names) {
        const d = await kube.apps.readNamespacedDeployment({ namespace, name });
        const want = d.spec?.replicas ?? 1;
        const s = d.status;
        if ((s?.observedGeneration ?? 0) < (d.metadata?.generation ?? 1) || s?.updatedReplicas !== want || s?.availableReplicas !== want || (s?.replicas ?? 0) !== want) return undefined;
      }
      return true;
    }, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await podReport(kube, namespace)}`, { cause: err });
  }
}

export interface Run { code: number; stdout: string; stderr: string }

/** Runs a command (argv, no shell) with optional standard input; never throws on a non-zero exit. */
export function run(file: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env: options.env ?? process.env, cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      if (err && typeof (err as { code?: unknown }).code === 'string') return reject(err);
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    else child.stdin!.end();
  });
}

/** kubectl with the cluster's admin kubeconfig. */
export function kubectl(cluster: TestCluster, args: string[], input?: string): Promise<Run> {
  return run(cluster.kubectl, ['--kubeconfig', cluster.kubeconfig, ...args], { input });
}

/** `kubectl auth can-i VERB RESOURCE [-n NS] --as SUBJECT`: true for yes, false for no (kubectl exits 1 on no). */
export async function canI(cluster: TestCluster, as: string, verb: string, resource: string, namespace?: string): Promise<boolean> {
  const r = await kubectl(cluster, ['auth', 'can-i', verb, resource, ...(namespace ? ['-n', namespace] : []), `--as=${as}`]);
  const answer = r.stdout.trim();
  assert.ok(answer === 'yes' || answer === 'no', `kubectl auth can-i ${verb} ${resource}: ${r.stdout}${r.stderr}`);
  return answer === 'yes';
}

/** The image reference split as the chart's values want it: repository and tag. */
export function imageValues(image: string): { repository: string; tag: string } {
  const at = image.lastIndexOf(':');
  assert.ok(at > image.lastIndexOf('/'), `${image} has a tag`);
  return { repository: image.slice(0, at), tag: image.slice(at + 1) };
}
