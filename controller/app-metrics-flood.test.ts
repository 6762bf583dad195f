// controller/app-metrics-flood.test.ts — the label-flood test (hostile input): thousands of distinct Host headers
// and paths through the real router, routed and unrouted, do not grow the series /metrics exports; only the counts
// move. The figure it measures is printed (the issue's closing note quotes it).
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { metricsText } from '../core/metrics/registry.ts';
import { Router } from '../runtime/router.ts';
import { attachAppMetrics } from './app-metrics.ts';

const FLOOD = 4000;

async function backend(t: TestContext): Promise<number> {
  const server = http.createServer((_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => { server.closeAllConnections(); return new Promise<void>((r) => server.close(() => r())); });
  return (server.address() as AddressInfo).port;
}

/** The exported series (sample lines), and the distinct label values seen for `app`. */
async function series(): Promise<{ lines: string[]; apps: Set<string> }> {
  const lines = (await metricsText()).body.split('\n').filter((l) => l.startsWith('paas_'));
  const apps = new Set(lines.flatMap((l) => [.../app="([^"]*)"/.exec(l)?.slice(1) ?? []]));
  return { lines, apps };
}

/** Sends n GETs over a few kept-alive connections, each with the host and path `nth` gives. */
async function send(port: number, n: number, nth: (i: number) => { host: string; path: string }): Promise<Map<number, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const statuses = new Map<number, number>();
  const one = (i: number) => new Promise<void>((resolve, reject) => {
    const { host, path } = nth(i);
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host }, agent }, (res) => {
      res.resume();
      res.on('end', () => { statuses.set(res.statusCode!, (statuses.get(res.statusCode!) ?? 0) + 1); resolve(); });
    });
    req.on('error', reject);
    req.end();
  });
  for (let i = 0; i < n; i += 64) await Promise.all(Array.from({ length: Math.min(64, n - i) }, (_, k) => one(i + k)));
  agent.destroy();
  return statuses;
}

const rand = () => crypto.randomBytes(6).toString('hex');

test('hostile label flood: thousands of distinct hosts and paths through the router do not grow the series count', async (t) => {
  const router = new Router({ baseDomain: 'localhost' });
  const port = await router.listen(0, '127.0.0.1');
  t.after(() => router.close());
  const app = await backend(t);
  router.setRoute('flood', [app]);
  router.setRoute('destroyed', [app]); // still in the router, gone from the database: never a label value
  const sources = { apps: async () => new Set(['flood']), router };
  let detach = attachAppMetrics(sources);
  t.after(() => detach());
  // One of each kind first, so every family the flood can touch has its series before the count is taken.
  await send(port, 3, (i) => [{ host: 'flood.localhost', path: '/' }, { host: 'nobody.localhost', path: '/' }, { host: 'destroyed.localhost', path: '/' }][i]!);
  const before = await series();
  assert.deepEqual([...before.apps], ['flood']);

  const statuses = await send(port, FLOOD, (i) => {
    const path = `/${rand()}/${'x'.repeat(i % 50)}?q=${rand()}`;
    switch (i % 4) {
      case 0: return { host: 'flood.localhost', path };
      case 1: return { host: `FLOOD.localhost:${1024 + (i % 60000)}`, path }; // the same app, any port and case
      case 2: return { host: `${rand()}.localhost`, path };
      default: return { host: `${rand()}.example.${rand()}`, path };
    }
  });
  assert.equal(statuses.get(200), FLOOD / 2, JSON.stringify([...statuses]));
  assert.equal(statuses.get(404), FLOOD / 2, JSON.stringify([...statuses]));

  // A scrape's router reading is shared for a second (shared() in core/metrics/platform-sources.ts), and the flood may
  // end within it: the reading after it comes from a fresh attachment, not the one cached before the flood.
  detach();
  detach = attachAppMetrics(sources);
  const after = await series();
  assert.deepEqual([...after.apps], ['flood']);
  assert.equal(after.lines.length, before.lines.length, 'the flood added series');
  const unrouted = after.lines.find((l) => l.startsWith('paas_router_unrouted_requests_total '));
  assert.equal(unrouted, `paas_router_unrouted_requests_total ${1 + FLOOD / 2}`);
  assert.ok(after.lines.includes(`paas_app_requests_total{app="flood",class="2xx"} ${1 + FLOOD / 2}`), after.lines.join('\n'));
  assert.ok(after.lines.includes(`paas_app_request_duration_seconds_count{app="flood"} ${1 + FLOOD / 2}`));
  process.stdout.write(`# label flood: ${FLOOD} requests (${FLOOD / 2} distinct hosts, ${FLOOD} distinct paths): `
    + `${before.lines.length} series before, ${after.lines.length} after\n`);
});
