// web/git-webhook-limits.test.ts — the webhook endpoint's own resource limits on a real socket: a body that does not
// arrive within the deadline is cut with 408 (a slow-loris sender holds nothing for long), and past the cap of
// requests in flight the next one is answered 503 E_WEBHOOK_BUSY with Retry-After, until the slots are free again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import Fastify from 'fastify';
import { isPaasError } from '../core/errors.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { registerGitWebhook } from './git-webhook.ts';

/** Starts a request whose body never completes; resolves with all the server wrote once it closes the socket. */
function slowSender(port: number): { closed: Promise<string>; sent: Promise<void> } {
  const socket = net.connect(port, '127.0.0.1');
  let got = '';
  socket.on('data', (d: Buffer) => { got += d.toString(); });
  const sent = new Promise<void>((resolve) => socket.once('connect', () => {
    socket.write('POST /hooks/git/demo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"ref":', () => resolve());
  }));
  return { sent, closed: new Promise((resolve) => socket.once('close', () => resolve(got))) };
}

test('a body slower than the deadline is cut with 408; past the in-flight cap, 503 E_WEBHOOK_BUSY until slots free', async (t) => {
  const db = await openTestSchema(t, 'hooklim');
  if (!db) return;
  const app = Fastify();
  app.setErrorHandler((err, _req, reply) => (isPaasError(err) ? reply.code(err.status).send({ error: { code: err.code, message: err.message } }) : reply.send(err)));
  await registerGitWebhook(app, db, { maxInFlight: 2, bodyDeadlineMs: 3000 });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const { port } = app.server.address() as net.AddressInfo;
  const post = () => fetch(`http://127.0.0.1:${port}/hooks/git/demo`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-paas-delivery': 'x' } });

  const [a, b] = [slowSender(port), slowSender(port)];
  await Promise.all([a.sent, b.sent]);
  // Both slots are held by the slow senders once the server has read their headers; a third request is refused.
  let busy = await post();
  for (let i = 0; busy.status !== 503 && i < 50; i++) busy = await post(); // until the server has read both senders' headers
  assert.equal(busy.status, 503);
  assert.equal(busy.headers.get('retry-after'), '10');
  assert.equal(((await busy.json()) as { error: { code: string } }).error.code, 'E_WEBHOOK_BUSY');
  for (const cut of await Promise.all([a.closed, b.closed])) {
    assert.match(cut, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(cut, /"code":"E_REQUEST_TIMEOUT","message":"The webhook body did not arrive within 3 s"/);
  }
  const after = await post();
  assert.deepEqual([after.status, ((await after.json()) as { error: { code: string } }).error.code], [401, 'E_WEBHOOK_SIGNATURE'], 'the slots are free again');
});
