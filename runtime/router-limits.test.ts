// runtime/router-limits.test.ts — the router's HTTP limits against real sockets on 127.0.0.1: a slowloris body or
// header stream is cut off, oversized headers get 431, one address holds at most its cap of connections, and an IP
// literal is never an app's host.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../core/http-limits.ts';
import { Router } from './router.ts';
import { request } from '../test/support/local-runtime.ts';
import { answers, closedByServer, hugeHeader, openSockets, slowHeaders, slowloris } from '../test/support/slow-client.ts';

const SMALL: HttpLimits = { ...DEFAULT_HTTP_LIMITS, requestTimeoutMs: 1000, headersTimeoutMs: 600, idleTimeoutMs: 5000, maxConnectionsPerClient: 5 };

/** A router with small limits in front of one backend (app "shop") that reads bodies and answers "ok". */
async function startRouter(t: TestContext, limits: HttpLimits = SMALL, domains: string[] = []): Promise<number> {
  const backend = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('ok')); });
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

test('the router cuts off a POST whose body drips in (slowloris) with 408 once the request deadline passes', async (t) => {
  const port = await startRouter(t);
  const closed = await slowloris(port, 'shop.localhost', 100, 5000);
  assert.match(closed.data, /^HTTP\/1\.1 408 /);
  assert.ok(closed.afterMs < 3000, `closed after ${closed.afterMs} ms`);
});

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
  const held = await openSockets(port, SMALL.maxConnectionsPerClient);
  const [extra] = await openSockets(port, 1);
  const refused = await closedByServer(extra!, 3000);
  assert.equal(refused.data, '', 'the extra connection is closed without an answer');
  assert.ok(await answers(held[0]!, 'shop.localhost', 3000), 'the held connections still work');
  held.pop()!.destroy();
  // The server counts the close when it sees it: the next connection is accepted once it has.
  let accepted = false;
  for (const deadline = Date.now() + 3000; !accepted && Date.now() < deadline;) {
    const [next] = await openSockets(port, 1);
    accepted = await answers(next!, 'shop.localhost', 1000);
    next!.destroy();
  }
  held.forEach((s) => s.destroy());
  assert.ok(accepted, 'a new connection is accepted after one closed');
});

test('an IP literal stored as a custom domain (before domains:add refused them) is never routed to the app', async (t) => {
  const port = await startRouter(t, SMALL, ['127.0.0.1', '[::1]', '2130706433', 'www.shop.example']);
  for (const host of ['127.0.0.1', `127.0.0.1:${port}`, '[::1]', '2130706433']) {
    const r = await request(port, host);
    assert.equal(r.status, 404, host);
  }
  assert.equal((await request(port, 'www.shop.example')).body, 'ok', 'the app keeps its real domain');
});
