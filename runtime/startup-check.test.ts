// runtime/startup-check.test.ts — app.json startup checks against a real HTTP server: status, content, attempts, abort.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'node:test';
import { runStartupChecks, waitUntilReady } from './startup-check.ts';
import type { StartupCheck } from './types.ts';

const check = (over: Partial<StartupCheck>): StartupCheck => ({ name: 'c', path: '/', attempts: 1, waitSeconds: 0, timeoutSeconds: 2, initialDelaySeconds: 0, ...over });

/** A server answering /health 'ok', /fail 500, /slow never, /later 503 twice then 200; its port. */
async function server(t: test.TestContext): Promise<{ port: number; hosts: string[] }> {
  let later = 0;
  const hosts: string[] = [];
  const srv = http.createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    if (req.url === '/health') return res.end('status: ok');
    if (req.url === '/later') { res.statusCode = ++later > 2 ? 200 : 503; return res.end('x'); }
    if (req.url === '/slow') return;
    res.statusCode = req.url === '/redirect' ? 302 : 500;
    res.end();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => { srv.closeAllConnections(); srv.close(); });
  return { port: (srv.address() as AddressInfo).port, hosts };
}

test('startup checks pass on 2xx/3xx with the content, retry, and fail with the check name and reason', async (t) => {
  const { port, hosts } = await server(t);
  const signal = new AbortController().signal;
  assert.deepEqual(await runStartupChecks(port, [check({ path: '/health', content: 'ok' }), check({ path: '/redirect' })], signal), { ok: true });
  assert.equal(hosts[0], `127.0.0.1:${port}`);
  const said: string[] = [];
  assert.deepEqual(await runStartupChecks(port, [check({ path: '/later', attempts: 3 })], signal, (l) => said.push(l)), { ok: true });
  assert.equal(said.length, 2);
  assert.deepEqual(await runStartupChecks(port, [check({ name: 'health', path: '/health', content: 'ready' })], signal),
    { ok: false, reason: 'startup check "health" (GET /health) failed after 1 attempts: HTTP 200 without the expected content "ready"' });
  assert.deepEqual(await runStartupChecks(port, [check({ path: '/fail', attempts: 2 })], signal),
    { ok: false, reason: 'startup check "c" (GET /fail) failed after 2 attempts: HTTP 500' });
  const slow = await runStartupChecks(port, [check({ path: '/slow', timeoutSeconds: 0.2 })], signal);
  assert.deepEqual(slow, { ok: false, reason: 'startup check "c" (GET /slow) failed after 1 attempts: no answer within 0.2s' });
});

test('an abort (the process exited) ends the checks at once', async (t) => {
  const { port } = await server(t);
  const abort = new AbortController();
  const running = runStartupChecks(port, [check({ path: '/fail', attempts: 100, waitSeconds: 600 })], abort.signal);
  setImmediate(() => abort.abort());
  assert.deepEqual(await running, { ok: false, reason: 'aborted' });
});

test('waitUntilReady: without checks any HTTP answer (even a 404) is ready; with checks, they decide', async (t) => {
  const { port } = await server(t);
  const signal = new AbortController().signal;
  assert.deepEqual(await waitUntilReady(port, undefined, 5000, signal), { ok: true });
  assert.deepEqual(await waitUntilReady(port, [], 5000, signal), { ok: true });
  assert.deepEqual(await waitUntilReady(port, [check({ path: '/fail', attempts: 1 })], 5000, signal),
    { ok: false, reason: 'startup check "c" (GET /fail) failed after 1 attempts: HTTP 500' });
});
