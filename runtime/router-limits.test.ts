// runtime/router-limits.test.ts — the router's HTTP limits against real sockets on 127.0.0.1: a slowloris or stalled
// body and a header stream are cut off while an honest slow upload goes through, oversized headers get 431, one
// address holds at most its cap of connections, and an IP literal is never an app's host.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../core/http-limits.ts';
import { Router } from './router.ts';
import { request } from '../test/support/local-runtime.ts';
import { answers, closedByServer, hugeHeader, openSockets, probeConnectionCap, slowHeaders, slowloris, stalledBody, steadyUpload } from '../test/support/slow-client.ts';

const SMALL: HttpLimits = {
  ...DEFAULT_HTTP_LIMITS, headersTimeoutMs: 600, bodyGraceMs: 1000, minBodyRate: 200, bodyIdleTimeoutMs: 1000, idleTimeoutMs: 5000,
  maxConnectionsPerClient: 5,
};

/**
 * A router with small limits in front of one backend (app "shop") that reads bodies and answers "ok"; with
 * `readAfterMs`, it starts reading each body only that late (a busy app).
 */
async function startRouter(t: TestContext, limits: HttpLimits = SMALL, domains: string[] = [], readAfterMs = 0): Promise<number> {
  const backend = http.createServer((req, res) => {
    setTimeout(() => { req.resume(); req.on('end', () => res.end('ok')); }, readAfterMs);
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const router = new Router({ baseDomain: 'localhost', limits });
  const port = await router.listen(0, '127.0.0.1');
  router.setRoute('shop', [(backend.address() as AddressInfo).port]);
  router.setDomains('shop', domains);
  t.after(async () => {
    await router.close();
    backend.closeAllConnections();
    await new Promise<void>((resolve) => backend.close(() => resolve()));
  });
  return port;
}

test('the router cuts off a POST whose body drips in (slowloris) with 408 once it falls below the minimum rate', async (t) => {
  const port = await startRouter(t);
  const closed = await slowloris(port, 'shop.localhost', 100, 5000);
  assert.match(closed.data, /^HTTP\/1\.1 408 /);
  assert.match(closed.data, /The request body arrived too slowly\.$/);
  assert.ok(closed.afterMs >= SMALL.bodyGraceMs - 100 && closed.afterMs < 3000, `closed after ${closed.afterMs} ms`);
});

test('the router cuts off a body that stops arriving with 408 at the body idle timeout', async (t) => {
  // A long grace: only the idle timeout can cut it. A Content-Length body and a chunked one, at the same time.
  const port = await startRouter(t, { ...SMALL, bodyGraceMs: 30_000 });
  const all = await Promise.all([false, true].map((chunked) => stalledBody(port, 'shop.localhost', 10, 5000, '/upload', chunked)));
  for (const closed of all) {
    assert.match(closed.data, /^HTTP\/1\.1 408 /);
    assert.match(closed.data, /The request body stopped arriving\.$/);
    assert.ok(closed.afterMs >= SMALL.bodyIdleTimeoutMs - 100 && closed.afterMs < 3000, `closed after ${closed.afterMs} ms`);
  }
});

test('the router lets an honest upload above the minimum rate run past the grace and idle timeouts', async (t) => {
  const port = await startRouter(t);
  // 1000 bytes a second (5 times the minimum) for 3 s: three times grace and idle timeout.
  const done = await steadyUpload(port, 'shop.localhost', '/upload', { chunkBytes: 100, chunks: 30, everyMs: 100, contentType: 'application/octet-stream' });
  assert.match(done.data, /^HTTP\/1\.1 200 /);
  assert.match(done.data, /ok$/);
  assert.ok(done.sentMs >= 2900, `the upload took ${done.sentMs} ms`);
});

test('the router does not blame a client for a body the app is slow to read', async (t) => {
  // The app reads nothing for 2.5 s; 32 MiB is more than the sockets' buffers hold, so the client waits on the app.
  const port = await startRouter(t, SMALL, [], 2500);
  const body = Buffer.alloc(32 * 1024 * 1024, 'a');
  const r = await postBody(port, 'shop.localhost', body);
  assert.equal(r.status, 200);
  assert.equal(r.body, 'ok');
  assert.ok(r.ms >= 2500, `answered after ${r.ms} ms`);
});

/** POSTs the body through http.request as fast as the router takes it; resolves with the answer and how long it took. */
function postBody(port: number, host: string, body: Buffer): Promise<{ status: number; body: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/upload', headers: { host, 'content-length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, ms: Date.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('the router cuts off a request whose headers never end', async (t) => {
  const port = await startRouter(t);
  const closed = await slowHeaders(port, 100, 5000);
  assert.ok(closed.afterMs < 3000, `closed after ${closed.afterMs} ms`);
});

test('the router answers oversized request headers with 431 and closes the socket', async (t) => {
  const port = await startRouter(t);
  const closed = await hugeHeader(port, 'shop.localhost', 20 * 1024);
  assert.match(closed.data, /^HTTP\/1\.1 431 /);
  assert.match(closed.data, /The request headers are too large/);
});

test('the router closes connections past the per-address cap and takes new ones once others close', async (t) => {
  const port = await startRouter(t);
  const cap = await probeConnectionCap(port, SMALL.maxConnectionsPerClient, 'shop.localhost');
  assert.equal(cap.extra.data, '', 'the extra connection is closed without an answer');
  assert.ok(cap.heldAnswer, 'the held connections still work');
  assert.ok(cap.acceptedAfterClose, 'a new connection is accepted after one closed');
});

test('an IP literal stored as a custom domain (before domains:add refused them) is never routed to the app', async (t) => {
  const port = await startRouter(t, SMALL, ['127.0.0.1', '[::1]', '2130706433', 'www.shop.example']);
  for (const host of ['127.0.0.1', `127.0.0.1:${port}`, '[::1]', '2130706433']) {
    const r = await request(port, host);
    assert.equal(r.status, 404, host);
  }
  assert.equal((await request(port, 'www.shop.example')).body, 'ok', 'the app keeps its real domain');
});
