// web/web-limits.test.ts — the web port's HTTP limits (API, dashboard and git over HTTP share it) on a real socket:
// a slowloris or stalled body and a header stream are cut off while an honest slow upload goes through, oversized
// headers get 431 in the API's error shape, and one address holds at most its cap of connections.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { startWeb } from '../test/support/dashboard.ts';
import { answers, closedByServer, hugeHeader, openSockets, probeConnectionCap, slowHeaders, slowloris, stalledBody, steadyUpload } from '../test/support/slow-client.ts';

const CAP = 5;

const SMALL = {
  PAAS_HTTP_HEADERS_TIMEOUT_MS: '600', PAAS_HTTP_BODY_GRACE_MS: '1000', PAAS_HTTP_MIN_BODY_RATE: '200', PAAS_HTTP_BODY_IDLE_TIMEOUT_MS: '1000',
  PAAS_HTTP_MAX_CONNECTIONS_PER_CLIENT: String(CAP),
};

/** The web server with small limits (`env` changes some), listening on a free port of 127.0.0.1. */
async function listening(t: TestContext, env: Record<string, string> = {}): Promise<number> {
  const h = await startWeb(t, { ...SMALL, ...env });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return (h.app.server.address() as AddressInfo).port;
}

test('the web port cuts off a POST whose body drips in (slowloris) with 408 E_REQUEST_TIMEOUT', async (t) => {
  const port = await listening(t);
  const closed = await slowloris(port, '127.0.0.1', 100, 5000, '/signin');
  assert.match(closed.data, /^HTTP\/1\.1 408 /);
  assert.match(closed.data, /\{"error":\{"code":"E_REQUEST_TIMEOUT","message":"The request body arrived too slowly"\}\}$/);
  assert.ok(closed.afterMs >= 900 && closed.afterMs < 3000, `closed after ${closed.afterMs} ms`);
});

test('the web port cuts off a body that stops arriving with 408 E_REQUEST_TIMEOUT at the body idle timeout', async (t) => {
  // A long grace: only the idle timeout can cut it.
  const port = await listening(t, { PAAS_HTTP_BODY_GRACE_MS: '30000' });
  const closed = await stalledBody(port, '127.0.0.1', 10, 5000, '/signin');
  assert.match(closed.data, /^HTTP\/1\.1 408 /);
  assert.match(closed.data, /\{"error":\{"code":"E_REQUEST_TIMEOUT","message":"The request body stopped arriving"\}\}$/);
  assert.ok(closed.afterMs >= 900 && closed.afterMs < 3000, `closed after ${closed.afterMs} ms`);
});

test('the web port lets an honest upload above the minimum rate run past the grace and idle timeouts', async (t) => {
  const port = await listening(t);
  // A form of 3000 bytes at 1000 bytes a second (5 times the minimum): 3 s, three times grace and idle timeout.
  const done = await steadyUpload(port, '127.0.0.1', '/signin', { chunkBytes: 100, chunks: 30, everyMs: 100, contentType: 'application/x-www-form-urlencoded' });
  assert.ok(done.sentMs >= 2900, `the upload took ${done.sentMs} ms`);
  // The sign-in form read the whole body and answered it (whatever it thought of it): the limits did not step in.
  assert.match(done.data, /^HTTP\/1\.1 [2-4]\d\d /);
  assert.doesNotMatch(done.data, /^HTTP\/1\.1 408 /);
  assert.ok(done.afterMs >= done.sentMs, 'answered after the whole body was sent');
});

test('the web port cuts off a request whose headers never end', async (t) => {
  const port = await listening(t);
  const closed = await slowHeaders(port, 100, 5000);
  assert.ok(closed.afterMs < 3000, `closed after ${closed.afterMs} ms`);
});

test('the web port answers oversized request headers with 431 E_HEADERS_TOO_LARGE', async (t) => {
  const port = await listening(t);
  const closed = await hugeHeader(port, '127.0.0.1', 20 * 1024);
  assert.match(closed.data, /^HTTP\/1\.1 431 /);
  assert.match(closed.data, /\{"error":\{"code":"E_HEADERS_TOO_LARGE","message":"The request headers are too large"\}\}$/);
});

test('the web port closes connections past the per-address cap and takes new ones once others close', async (t) => {
  const port = await listening(t);
  const cap = await probeConnectionCap(port, CAP, '127.0.0.1');
  assert.equal(cap.extra.data, '', 'the extra connection is closed without an answer');
  assert.ok(cap.heldAnswer, 'the held connections still work');
  assert.ok(cap.acceptedAfterClose, 'a new connection is accepted after one closed');
});
