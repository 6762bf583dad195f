// runtime/startup-check.test.ts — the deploy gate of a new web process: any HTTP answer without checks; app.json's
// startup checks (path, content, attempts) when given; an exit of the process ends the wait at once.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test, type TestContext } from 'node:test';
import { checkFailure, waitUntilReady } from './startup-check.ts';
import type { StartupCheck } from './types.ts';

const check = (over: Partial<StartupCheck> = {}): StartupCheck => ({
  name: 'health', path: '/health', attempts: 3, waitSeconds: 0.05, timeoutSeconds: 1, initialDelaySeconds: 0, ...over,
});

/** A server answering each path with [status, body]; counts the requests. */
async function serve(t: TestContext, routes: Record<string, [number, string]>): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    const [status, body] = routes[req.url ?? ''] ?? [404, 'no'];
    res.writeHead(status).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { port: (server.address() as AddressInfo).port, hits: () => hits };
}

test('checkFailure: 2xx and 3xx pass, holding the content when asked; anything else says why', () => {
  assert.equal(checkFailure(check(), { status: 200, body: 'ok' }), undefined);
  assert.equal(checkFailure(check(), { status: 302, body: '' }), undefined);
  assert.equal(checkFailure(check(), { status: 500, body: '' }), 'status 500');
  assert.equal(checkFailure(check({ content: 'ready' }), { status: 200, body: 'starting' }), 'the body does not contain "ready"');
  assert.equal(checkFailure(check(), { error: 'connect ECONNREFUSED' }), 'connect ECONNREFUSED');
});

test('without checks, any HTTP answer is ready; with checks, each must pass within its attempts', async (t) => {
  const { port, hits } = await serve(t, { '/': [404, ''], '/health': [200, 'all good'], '/bad': [503, 'down'] });
  assert.deepEqual(await waitUntilReady(port, undefined, 5000, new AbortController().signal), { ok: true });
  assert.deepEqual(await waitUntilReady(port, [check({ content: 'good' })], 5000, new AbortController().signal), { ok: true });
  const before = hits();
  const failed = await waitUntilReady(port, [check({ path: '/bad', attempts: 3 })], 5000, new AbortController().signal);
  assert.deepEqual(failed, { ok: false, reason: 'failed its startup check "health" (GET /bad: status 503) after 3 attempts' });
  assert.equal(hits() - before, 3);
});

test('an aborted wait (the process exited) ends at once', async () => {
  const abort = new AbortController();
  abort.abort();
  const outcome = await waitUntilReady(1, [check({ attempts: 100, waitSeconds: 5 })], 60_000, abort.signal);
  assert.deepEqual(outcome, { ok: false, reason: 'aborted' });
});
