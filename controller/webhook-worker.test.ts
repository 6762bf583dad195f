// controller/webhook-worker.test.ts — outgoing webhooks from bus event to the receiver, against real PostgreSQL and a
// real local HTTP receiver: rows written once per event, signed bodies (checked with GitHub's own verifier), retries
// after a 500, failure after the last retry, no redirects followed, the SSRF check at send time, and a restart that
// resumes pending deliveries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verify } from '@octokit/webhooks-methods';
import type { Knex } from 'knex';
import pino from 'pino';
import { MemoryBus, publish } from '../core/bus.ts';
import type { WebhookConfig } from '../core/webhook-config.ts';
import { addWebhook } from '../services/webhooks.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { startReceiver } from '../test/support/webhook-receiver.ts';
import { waitFor } from '../test/support/wait.ts';
import { subscribeWebhookEvents } from './webhook-events.ts';
import { WebhookWorker } from './webhook-worker.ts';

const log = pino({ level: 'silent' });
const operator = { kind: 'operator' } as const;
const fast: WebhookConfig = { allowPrivate: true, backoffSeconds: [0.05, 0.05], timeoutMs: 2000 };
const rev = (c: string) => c.repeat(40);

/** Stops registered now run before the schema's own teardown (hooks run in order): no worker outlives its database. */
function stopsFirst(t: import('node:test').TestContext): Array<() => unknown> {
  const stops: Array<() => unknown> = [];
  t.after(async () => { for (const stop of stops) await stop(); });
  return stops;
}

async function setup(t: import('node:test').TestContext, config: WebhookConfig = fast) {
  const stops = stopsFirst(t);
  const db = (await openTestSchema(t, 'hooks'))!;
  const [user] = await db('users').insert({ email: 'alice@example.com', password_hash: 'x' }).returning('id');
  await db('apps').insert({ name: 'demo', owner_id: user.id });
  const bus = new MemoryBus(log);
  const worker = new WebhookWorker(db, config, log, 'paas-webhooks/test');
  const unsubs = subscribeWebhookEvents(db, bus, log, () => worker.wake());
  worker.start();
  stops.push(() => unsubs.forEach((u) => u()), () => worker.stop());
  return { db, bus, worker, stops, userId: user.id as number };
}

const deliveries = (db: Knex) => db('webhook_deliveries_out').orderBy('created_at');

test('events become signed deliveries, once each, in order', { timeout: 20_000 }, async (t) => {
  if (!process.env.DATABASE_URL) return t.skip('needs DATABASE_URL');
  const { db, bus, userId } = await setup(t);
  const r = await startReceiver(t);
  const hook = await addWebhook(db, operator, 'demo', r.url, undefined, true);
  await publish(bus, 'refUpdated', { app: 'demo', ref: 'refs/heads/main', oldRev: rev('0'), newRev: rev('a'), userId });
  await r.until(1);
  await publish(bus, 'releaseCreated', { releaseId: 7, app: 'demo', version: 3, buildId: undefined, source: 'push', description: 'Deploy aaaaaaa' });
  await r.until(2);
  await publish(bus, 'deployStatus', { releaseId: 7, app: 'demo', version: 3, status: 'deploying' }, 7);
  await publish(bus, 'deployStatus', { releaseId: 7, app: 'demo', version: 3, status: 'succeeded', url: 'http://demo.localhost:8080' }, 7);
  await publish(bus, 'deployStatus', { releaseId: 7, app: 'demo', version: 3, status: 'succeeded', url: 'http://demo.localhost:8080' }, 7);
  const got = await r.until(3);
  assert.deepEqual(got.map((g) => g.json.event), ['push', 'release.created', 'deploy.succeeded']);
  for (const g of got) {
    assert.equal(g.method, 'POST');
    assert.equal(g.headers['content-type'], 'application/json');
    assert.equal(g.headers['user-agent'], 'paas-webhooks/test');
    assert.equal(g.headers['x-paas-event'], g.json.event);
    assert.equal(g.headers['x-paas-delivery'], g.json.id);
    assert.ok(await verify(hook.secret, g.body, String(g.headers['x-paas-signature-256'])), 'GitHub verifier accepts the signature');
    assert.equal(await verify('not-the-secret', g.body, String(g.headers['x-paas-signature-256'])), false);
    assert.deepEqual(Object.keys(g.json).sort(), ['app', 'created_at', 'data', 'event', 'id']);
    assert.equal(g.json.app, 'demo');
  }
  assert.deepEqual(got[0]!.json.data, { ref: 'refs/heads/main', before: rev('0'), after: rev('a'), created: true, deleted: false, pusher: { email: 'alice@example.com' } });
  assert.deepEqual(got[1]!.json.data, { release: { id: 7, version: 3 }, build_id: null, source: 'push', description: 'Deploy aaaaaaa' });
  assert.deepEqual(got[2]!.json.data, { release: { id: 7, version: 3 }, build_id: null, url: 'http://demo.localhost:8080', error: null });
  const rows = await waitFor(async () => { const d = await deliveries(db); return d.every((x) => x.status === 'succeeded') ? d : undefined; }, 5000, 'rows succeeded');
  assert.equal(rows.length, 3, 'a repeated event adds no delivery');
  assert.deepEqual(rows.map((x) => [x.attempt, x.response_code]), [[1, 200], [1, 200], [1, 200]]);
});

test('a hook gets only its events; a 500 is retried, a redirect is not followed, the last failure is final', { timeout: 20_000 }, async (t) => {
  if (!process.env.DATABASE_URL) return t.skip('needs DATABASE_URL');
  const { db, bus } = await setup(t);
  const r = await startReceiver(t, [500, 200, { status: 302, location: 'http://127.0.0.1:1/' }, 503, 503]);
  await addWebhook(db, operator, 'demo', r.url, 'deploy.failed', true);
  await publish(bus, 'releaseCreated', { releaseId: 1, app: 'demo', version: 1, source: 'config', description: 'Set X' });
  await publish(bus, 'deployStatus', { releaseId: 1, app: 'demo', version: 1, status: 'failed', error: 'crashed' }, 1);
  const got = await r.until(2);
  assert.equal(got[0]!.json.id, got[1]!.json.id, 'a retry keeps its delivery id');
  assert.equal(got[1]!.json.event, 'deploy.failed');
  const ok = await waitFor(async () => (await deliveries(db)).find((d) => d.status === 'succeeded'), 5000, 'the retry succeeded');
  assert.deepEqual([ok.attempt, ok.response_code], [2, 200]);
  assert.deepEqual(ok.attempts.map((a: { code: number }) => a.code), [500, 200]);
  await publish(bus, 'deployStatus', { releaseId: 2, app: 'demo', version: 2, status: 'failed', error: 'crashed again' }, 2);
  const failed = await waitFor(async () => (await deliveries(db)).find((d) => d.status === 'failed'), 5000, 'the delivery failed for good');
  assert.equal(failed.attempt, 3, 'one attempt plus one per backoff step');
  assert.deepEqual(failed.attempts.map((a: { code: number }) => a.code), [302, 503, 503]);
  assert.match(failed.attempts[0].error, /redirects are not followed/);
  assert.equal(r.received.length, 5, 'the redirect target was never asked');
  assert.equal(failed.next_attempt_at, null);
});

test('SSRF at send time: a loopback target (a literal, or a name resolving to it) is refused without a connection', { timeout: 20_000 }, async (t) => {
  if (!process.env.DATABASE_URL) return t.skip('needs DATABASE_URL');
  // Registered while private targets were allowed (as a name that resolved to a public address could be); the sender's config refuses them.
  const { db, bus } = await setup(t, { ...fast, allowPrivate: false, backoffSeconds: [] });
  const r = await startReceiver(t);
  await addWebhook(db, operator, 'demo', r.url, undefined, true);
  await addWebhook(db, operator, 'demo', `http://localhost:${r.port}/hook`, undefined, true);
  await publish(bus, 'releaseCreated', { releaseId: 1, app: 'demo', version: 1, source: 'config', description: 'Set X' });
  const rows = await waitFor(async () => { const d = await deliveries(db); return d.length === 2 && d.every((x) => x.status === 'failed') ? d : undefined; }, 5000, 'both refused');
  for (const row of rows) assert.match(row.error, /^refused: .*not a public address/);
  assert.equal(r.received.length, 0);
});

test('a restart resumes pending deliveries (the rows are the queue); finished ones leave the log after 30 days', { timeout: 20_000 }, async (t) => {
  if (!process.env.DATABASE_URL) return t.skip('needs DATABASE_URL');
  const stops = stopsFirst(t);
  const db = (await openTestSchema(t, 'hooks'))!;
  const [user] = await db('users').insert({ email: 'bob@example.com', password_hash: 'x' }).returning('id');
  await db('apps').insert({ name: 'demo', owner_id: user.id });
  const r = await startReceiver(t);
  await addWebhook(db, operator, 'demo', r.url, undefined, true);
  const { enqueueDeliveries } = await import('./webhook-events.ts');
  // Written while no worker ran (the controller died after the event): a new controller's worker sends it.
  assert.equal(await enqueueDeliveries(db, { app: 'demo', event: 'deploy.succeeded', key: 'deploy:9:succeeded', data: { release: { id: 9, version: 1 } } }), 1);
  assert.equal(await enqueueDeliveries(db, { app: 'demo', event: 'deploy.succeeded', key: 'deploy:9:succeeded', data: {} }), 0, 'idempotent');
  const hookId = (await db('outgoing_webhooks').first('id')).id;
  const old = { webhook_id: hookId, event: 'push', payload: '{}', created_at: db.raw("now() - interval '31 days'") };
  await db('webhook_deliveries_out').insert([
    { ...old, id: '00000000-0000-4000-8000-000000000001', event_key: 'old-done', status: 'succeeded' },
    { ...old, id: '00000000-0000-4000-8000-000000000002', event_key: 'old-failed', status: 'failed', created_at: db.raw("now() - interval '29 days'") },
  ]);
  const worker = new WebhookWorker(db, fast, log, 'paas-webhooks/test');
  stops.push(() => worker.stop());
  worker.start();
  const [got] = await r.until(1);
  assert.equal(got!.json.event, 'deploy.succeeded');
  await waitFor(async () => (await deliveries(db)).find((d) => d.event_key === 'deploy:9:succeeded')?.status === 'succeeded', 5000, 'recorded');
  // The prune runs at the end of a pass, which may come after the record: wait for the pruned state itself.
  const keys = async () => (await deliveries(db)).map((d) => d.event_key).sort().join(' ');
  await waitFor(async () => await keys() === 'deploy:9:succeeded old-failed', 5000, 'finished rows older than 30 days pruned, younger ones kept');
});

test('an attempt that takes longer than the timeout fails as timed out and is retried', { timeout: 20_000 }, async (t) => {
  if (!process.env.DATABASE_URL) return t.skip('needs DATABASE_URL');
  const { db, bus } = await setup(t, { ...fast, timeoutMs: 300, backoffSeconds: [0.05] });
  const r = await startReceiver(t, ['hang', 200]);
  await addWebhook(db, operator, 'demo', r.url, undefined, true);
  await publish(bus, 'releaseCreated', { releaseId: 1, app: 'demo', version: 1, source: 'config', description: 'Set X' });
  const row = await waitFor(async () => (await deliveries(db)).find((d) => d.status === 'succeeded'), 5000, 'the retry succeeded');
  assert.deepEqual(row.attempts.map((a: { code: number | null; error: string | null }) => [a.code, a.error]), [[null, 'timed out after 300 ms'], [200, null]]);
  assert.ok(row.attempts[0].ms >= 300 && row.attempts[0].ms < 2000, `took ${row.attempts[0].ms} ms`);
});

test('a slow receiver holds only its own hook, one row at a time, even with a second controller', { timeout: 20_000 }, async (t) => {
  if (!process.env.DATABASE_URL) return t.skip('needs DATABASE_URL');
  const config = { ...fast, timeoutMs: 1000, backoffSeconds: [] };
  const { db, bus, stops } = await setup(t, config);
  const other = new WebhookWorker(db, config, log, 'paas-webhooks/test'); // a second controller on the same database
  stops.push(() => other.stop());
  const slow = await startReceiver(t, ['hang']);
  const quick = await startReceiver(t);
  await addWebhook(db, operator, 'demo', slow.url, 'release.created', true);
  await addWebhook(db, operator, 'demo', quick.url, 'release.created', true);
  for (const v of [1, 2, 3]) { // one at a time: the bus hands events to their handlers without waiting
    await publish(bus, 'releaseCreated', { releaseId: v, app: 'demo', version: v, source: 'config', description: `Set X${v}` });
    await waitFor(async () => (await deliveries(db)).length === 2 * v, 5000, `the rows of event ${v}`);
  }
  other.start();
  await slow.until(1);
  const fast3 = await quick.until(3);
  assert.deepEqual(fast3.map((g) => (g.json.data as { release: { version: number } }).release.version), [1, 2, 3], 'the quick hook is not held up, and in order');
  assert.equal(slow.received.length, 1, 'the slow hook has one row in flight; its others wait for it');
  const rows = await waitFor(async () => { const d = await deliveries(db); return d.length === 6 && d.every((x) => x.status !== 'pending') ? d : undefined; }, 10_000, 'all final');
  assert.deepEqual(slow.received.map((g) => (g.json.data as { release: { version: number } }).release.version), [1, 2, 3], 'each sent once, in order');
  assert.ok(rows.every((x) => x.attempt === 1 && x.lease_token === null), 'each row attempted once; no lease left behind');
});

test('claims: one row per hook while it is in flight; a result is recorded only under its own lease', async (t) => {
  const db = await openTestSchema(t, 'hooks');
  if (!db) return;
  const { claimDue, recordAttempt } = await import('./webhook-claim.ts');
  const [user] = await db('users').insert({ email: 'c@example.com', password_hash: 'x' }).returning('id');
  await db('apps').insert({ name: 'demo', owner_id: user.id });
  const hook = await addWebhook(db, operator, 'demo', 'http://127.0.0.1:9/', undefined, true);
  await db('webhook_deliveries_out').insert([1, 2, 3].map((n) => ({
    id: `00000000-0000-4000-8000-00000000000${n}`, webhook_id: hook.id, event: 'push', event_key: `k${n}`, payload: '{}',
    next_attempt_at: db.raw(`now() - make_interval(secs => ${10 - n})`),
  })));
  const [first, ...none] = await claimDue(db, 10, 60);
  assert.equal(none.length, 0, 'one row of the hook');
  assert.equal(first!.id.endsWith('1'), true, 'the earliest due');
  assert.deepEqual(await claimDue(db, 10, 60), [], 'nothing more while it is in flight');
  // Its lease lapsed and another controller claimed it again: the first claim's result is not written.
  await db('webhook_deliveries_out').where({ id: first!.id }).update({ leased_until: db.raw("now() - interval '1 second'") });
  const again = await claimDue(db, 10, 60);
  assert.deepEqual(again.map((r) => r.id), [first!.id]);
  assert.equal(await recordAttempt(db, first!, { attempt: 1, status: 'succeeded' }), false);
  assert.equal(await recordAttempt(db, again[0]!, { attempt: 1, status: 'succeeded' }), true);
  assert.deepEqual((await db('webhook_deliveries_out').where({ id: first!.id }).first('attempt', 'status', 'lease_token')), { attempt: 1, status: 'succeeded', lease_token: null });
  assert.equal((await claimDue(db, 10, 60))[0]!.id.endsWith('2'), true, 'then the next row of the hook');
});
