// runtime/kubernetes/watch.test.ts — the informers against the real API server of the test cluster, reached through
// a small proxy of the test's own that records the requests and can end watches, fail them, or send one from a
// resourceVersion long compacted (which the real server answers with 410 Gone): they list, then watch from the
// list's resourceVersion; resume where they left off when a watch ends; list again after 410 (reporting what went
// meanwhile); watch again after an error; and stop without leaving a watch open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type KubernetesObject, type V1Pod } from '@kubernetes/client-node';
import { eventually } from '../../test/support/cluster.ts';
import { startKubeWorld } from '../../test/support/kubernetes.ts';
import { connectKube, statusOf, type Kube } from './client.ts';
import { podInformer, type Informed } from './watch.ts';

interface Seen { method: string; path: string; query: URLSearchParams }

/** A plain-HTTP proxy on 127.0.0.1 to the API server of `kc`, with the admin's credentials, and its fault switches. */
async function faultProxy(t: import('node:test').TestContext, kc: KubeConfig) {
  const upstream = new URL(kc.getCurrentCluster()!.server);
  const requests: Seen[] = [];
  const watches = new Set<http.ServerResponse>();
  const state = { watchFault: undefined as number | undefined, staleNextWatch: false };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const watch = url.searchParams.get('watch') === 'true';
    requests.push({ method: req.method ?? '', path: url.pathname, query: new URLSearchParams(url.searchParams) });
    if (watch && state.watchFault) {
      res.writeHead(state.watchFault, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'injected by the test', code: state.watchFault }));
      return;
    }
    if (watch && state.staleNextWatch) {
      state.staleNextWatch = false;
      url.searchParams.set('resourceVersion', '1'); // long compacted: the real server says 410 Gone
    }
    const opts: https.RequestOptions = { method: req.method, hostname: upstream.hostname, port: upstream.port, path: url.pathname + url.search, headers: { ...req.headers, host: upstream.host } };
    await kc.applyToHTTPSOptions(opts);
    const up = https.request(opts, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      res.flushHeaders(); // a watch sends its headers at once, and its events only as they come
      if (watch) { watches.add(res); res.on('close', () => watches.delete(res)); }
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const proxied = new KubeConfig();
  proxied.loadFromOptions({
    clusters: [{ name: 'proxy', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'proxy' }], contexts: [{ name: 'proxy', cluster: 'proxy', user: 'proxy' }], currentContext: 'proxy',
  });
  return {
    kube: connectKube(proxied), requests, state,
    /** Ends every open watch, as the server does at its timeout. */
    endWatches: () => { for (const res of watches) res.end(); },
    openWatches: () => watches.size,
  };
}

async function world(t: import('node:test').TestContext) {
  const w = await startKubeWorld(t);
  const ns = w.config.namespace;
  const proxy = await faultProxy(t, w.kube.kc);
  const path = `/api/v1/namespaces/${ns}/pods`;
  const requests = (watch: boolean) => proxy.requests.filter((r) => r.method === 'GET' && r.path === path && (r.query.get('watch') === 'true') === watch);
  // A pod is refused until the namespace's default ServiceAccount exists (the controller manager makes it just after);
  // its token Secret comes later still, so these never-scheduled pods mount no token (else a 500 "No API token found").
  await eventually('the default ServiceAccount', async () => (await w.kube.core.readNamespacedServiceAccount({ namespace: ns, name: 'default' })) && true);
  // Pods no scheduler takes: they stay Pending, pull nothing, and go at once when deleted.
  const createPod = (name: string, app = 'shop'): Promise<V1Pod> => w.kube.core.createNamespacedPod({
    namespace: ns, body: { metadata: { name, labels: { app } }, spec: { schedulerName: 'nobody', automountServiceAccountToken: false, containers: [{ name: 'web', image: 'never-pulled' }] } },
  });
  const deletePod = (name: string) => w.kube.core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 });
  return { ...w, ns, proxy, lists: () => requests(false), watches: () => requests(true), createPod, deletePod };
}

const names = (informer: Informed<KubernetesObject>) => informer.list().map((o) => o.metadata!.name!).sort();

/** Resolves once the informer's cache passes the check (now, or after one of its changes). */
function when(informer: Informed<KubernetesObject>, check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const look = () => { if (!check()) return; informer.off('change', look); resolve(); };
    informer.on('change', look);
    look();
  });
}

function informerOf(kube: Kube, ns: string, onChange: () => void = () => undefined): Informed<V1Pod> {
  return podInformer(kube, ns, { labelSelector: 'app=shop' }, onChange);
}

test('an informer lists, watches from the list\'s resourceVersion, and resumes from where it was when the watch ends', { timeout: 60_000 }, async (t) => {
  const w = await world(t);
  await w.createPod('a');
  await w.createPod('other', 'blog');
  let changes = 0;
  const pods = informerOf(w.proxy.kube, w.ns, () => { changes++; });
  t.after(() => pods.stop());
  await pods.start();
  assert.deepEqual(names(pods), ['a'], 'the listed pods are there once started');
  assert.equal(w.lists().length, 1);
  const first = w.watches()[0]!;
  assert.equal(first.query.get('labelSelector'), 'app=shop');
  const listed = (await w.kube.core.listNamespacedPod({ namespace: w.ns, labelSelector: 'app=shop' })).metadata?.resourceVersion;
  assert.ok(Number(first.query.get('resourceVersion')) > 0 && Number(first.query.get('resourceVersion')) <= Number(listed), 'from the list\'s resourceVersion');
  await w.createPod('b');
  await when(pods, () => names(pods).includes('b'));
  await eventually('the watch open', async () => (w.proxy.openWatches() === 1 ? true : undefined));
  w.proxy.endWatches();
  // Changes while the watch is down (or just back) are seen once, from the resourceVersion it had reached.
  await w.deletePod('a');
  await w.createPod('c');
  await when(pods, () => names(pods).join() === 'b,c');
  assert.equal(w.lists().length, 1, 'resumed without listing again');
  assert.ok(w.watches().length >= 2);
  assert.ok(Number(w.watches()[1]!.query.get('resourceVersion')) > Number(first.query.get('resourceVersion')), 'the second watch resumes past the list');
  // Each pod's changes once more: the scheduler never touches them, so a: listed, deleted; b and c: added.
  assert.ok(changes >= 4, String(changes));
  assert.deepEqual(pods.get('b', w.ns)?.metadata?.labels, { app: 'shop' });
});

test('after an error the informer watches again; after 410 Gone from the real server it lists again and reports what went meanwhile', { timeout: 60_000 }, async (t) => {
  const w = await world(t);
  await w.createPod('a');
  const pods = informerOf(w.proxy.kube, w.ns);
  t.after(() => pods.stop());
  const errors: unknown[] = [];
  const failed = new Promise<void>((resolve) => pods.on('error', (err) => { errors.push(err); resolve(); }));
  const deleted: string[] = [];
  pods.on('delete', (p) => deleted.push(p.metadata!.name!));
  await pods.start();
  await eventually('the watch open', async () => (w.proxy.openWatches() === 1 ? true : undefined));
  w.proxy.state.watchFault = 500;
  w.proxy.endWatches();
  await failed;
  assert.equal(statusOf(errors[0]), 500);
  // While it cannot watch, a goes and b comes; its next watch asks from a resourceVersion the server no longer has.
  await w.deletePod('a');
  await w.createPod('b');
  w.proxy.state.staleNextWatch = true;
  w.proxy.state.watchFault = undefined;
  await when(pods, () => names(pods).join() === 'b');
  assert.deepEqual(deleted, ['a'], 'the new list tells the deletion it missed');
  assert.equal(w.lists().length, 2, 'listed again after 410 Gone');
  await w.createPod('c');
  await when(pods, () => names(pods).join() === 'b,c');
});

test('stop closes the watch; an informer stopped while it lists opens none', { timeout: 60_000 }, async (t) => {
  const w = await world(t);
  await w.createPod('a');
  const pods = informerOf(w.proxy.kube, w.ns);
  await pods.start();
  assert.equal(w.watches().length, 1);
  await eventually('the watch open', async () => (w.proxy.openWatches() === 1 ? true : undefined));
  await pods.stop();
  await eventually('the watch closed', async () => (w.proxy.openWatches() === 0 ? true : undefined), 10_000);
  const early: Informed<V1Pod> = podInformer(w.proxy.kube, w.ns, { labelSelector: 'app=shop' }, () => void early.stop());
  await early.start();
  assert.deepEqual(names(early), ['a'], 'the list was read');
  assert.equal(w.watches().length, 1, 'no watch after a stop during the list');
});
