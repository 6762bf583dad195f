// Integration tests for core/outbox.ts against the machine's PostgreSQL (a schema per test): events written in a
// transaction are published only if it commits, in order, once; while the bus is down they wait in the table.
// The last test puts a real NATS of its own behind the relay and stops it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Bus, Handler } from './bus.ts';
import { createLogger } from './logger.ts';
import { NatsBus } from './nats-bus.ts';
import { enqueueEvent, OutboxRelay } from './outbox.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { startNatsServer } from '../test/support/servers.ts';
import { waitFor } from '../test/support/wait.ts';

const log = createLogger(process.env.PAAS_LOG_LEVEL ?? 'silent');

interface Sent { subject: string; payload: Record<string, unknown>; id?: string }

/** A bus that records what it is asked to publish, and fails while `down` is set. */
class RecordingBus implements Bus {
  sent: Sent[] = [];
  failures = 0;
  down = false;
  constructor(private inner?: Bus) {}
  async publishRaw(subject: string, payload: Record<string, unknown>, opts: { id?: string } = {}): Promise<void> {
    if (this.down) { this.failures++; throw new Error('bus unavailable'); }
    try {
      await this.inner?.publishRaw(subject, payload, opts);
    } catch (err) {
      this.failures++;
      throw err;
    }
    this.sent.push({ subject, payload, id: opts.id });
  }
  subscribe(pattern: string, handler: Handler, opts?: { durable?: string }): () => void { return this.inner?.subscribe(pattern, handler, opts) ?? (() => {}); }
  ready(): boolean { return !this.down && (this.inner?.ready() ?? true); }
  async close(): Promise<void> { await this.inner?.close(); }
}

/**
 * A migrated schema per test, and a way to start relays on it. after() hooks run in the order they were added, so
 * the relays' stop is added first: each holds a LISTEN connection that the schema's cleanup waits for.
 */
async function setup(t: TestContext): Promise<{ db?: Knex; startRelay(bus: Bus, pollMs?: number): Promise<OutboxRelay> }> {
  const relays: OutboxRelay[] = [];
  t.after(async () => { for (const r of relays) await r.stop(); });
  const db = await openTestSchema(t, 'ob');
  return {
    db,
    async startRelay(bus, pollMs = 1000) {
      const relay = new OutboxRelay(db!, bus, log, pollMs);
      await relay.start();
      relays.push(relay);
      return relay;
    },
  };
}

const pending = async (db: Knex) => Number((await db('outbox').whereNull('published_at').count<{ n: string }[]>('* as n'))[0]!.n);

test('an event enqueued in a transaction that rolls back is never published', async (t) => {
  const { db, startRelay } = await setup(t);
  if (!db) return;
  const bus = new RecordingBus();
  await startRelay(bus);
  await assert.rejects(db.transaction(async (trx) => {
    await enqueueEvent(trx, 'appDestroyed', { app: 'ghost' });
    throw new Error('the state change failed');
  }), /the state change failed/);
  await db.transaction((trx) => enqueueEvent(trx, 'appDestroyed', { app: 'real' }));
  await waitFor(() => bus.sent.length === 1, 5000, 'the committed event');
  assert.deepEqual(bus.sent.map((s) => s.payload.app), ['real']);
  assert.equal(Number((await db('outbox').count<{ n: string }[]>('* as n'))[0]!.n), 1, 'the rolled-back row is gone');
});

test('committed events are published in order, each with its outbox id, and marked published', async (t) => {
  const { db, startRelay } = await setup(t);
  if (!db) return;
  const bus = new RecordingBus();
  bus.down = true; // hold them back, so the relay sees them all at once
  const relay = await startRelay(bus, 60_000);
  for (const n of [1, 2, 3]) await db.transaction((trx) => enqueueEvent(trx, 'domainsUpdated', { app: `a${n}` }));
  await db.transaction(async (trx) => {
    await enqueueEvent(trx, 'domainsUpdated', { app: 'a4' });
    await enqueueEvent(trx, 'buildStatus', { buildId: 'b-1', app: 'a4', number: 1, status: 'succeeded' }, 'b-1');
  });
  bus.down = false;
  await waitFor(async () => { await relay.drain(); return bus.sent.length === 5; }, 5000, 'the five events');
  const rows = await db('outbox').orderBy('id').select('id', 'subject', 'published_at');
  assert.deepEqual(bus.sent.map((s) => [s.subject, s.payload.app, s.id]), [
    ['paas.domains.updated', 'a1', `outbox-${rows[0].id}`],
    ['paas.domains.updated', 'a2', `outbox-${rows[1].id}`],
    ['paas.domains.updated', 'a3', `outbox-${rows[2].id}`],
    ['paas.domains.updated', 'a4', `outbox-${rows[3].id}`],
    ['paas.build.b-1.status', 'a4', `outbox-${rows[4].id}`],
  ]);
  assert.ok(rows.every((r) => r.published_at !== null), 'every row is marked published');
  assert.equal(bus.sent[0]!.payload.v, 1, 'payloads carry their version');
  await relay.drain();
  assert.equal(bus.sent.length, 5, 'a published row is not sent again');
});

test('a commit wakes the relay at once (NOTIFY), without waiting for its poll', async (t) => {
  const { db, startRelay } = await setup(t);
  if (!db) return;
  const bus = new RecordingBus();
  await startRelay(bus, 60_000);
  const started = Date.now();
  await db.transaction((trx) => enqueueEvent(trx, 'appDestroyed', { app: 'quick' }));
  await waitFor(() => bus.sent.length === 1, 5000, 'the event');
  assert.ok(Date.now() - started < 5000);
});

test('while NATS is down, events stay pending in the outbox and are delivered, in order and once, when it is back', async (t) => {
  const { db, startRelay } = await setup(t);
  if (!db) return;
  const server = await startNatsServer();
  const nats = await NatsBus.connect(server.url, `ob${crypto.randomBytes(3).toString('hex')}.`, log, async () => undefined);
  t.after(async () => { await nats.close(); await server.destroy(); });
  const bus = new RecordingBus(nats);
  const got: string[] = [];
  nats.subscribe('paas.release.created', (_s, p) => { got.push(String(p.description)); }, { durable: 'deployer' });
  await startRelay(bus, 500);
  await server.stop();
  await waitFor(() => !nats.ready(), 10_000, 'the bus to notice NATS is gone');
  for (const n of [1, 2, 3]) {
    await db.transaction((trx) => enqueueEvent(trx, 'releaseCreated', { releaseId: n, app: 'demo', version: n, source: 'push', description: `v${n}` }));
  }
  await waitFor(() => bus.failures > 0, 20_000, 'a failed publish attempt');
  assert.equal(await pending(db), 3, 'nothing is marked published while NATS is down');
  assert.deepEqual(got, []);
  await server.start();
  await waitFor(async () => await pending(db) === 0, 30_000, 'the outbox to drain once NATS is back');
  await waitFor(() => got.length >= 3, 15_000, 'the three work items');
  assert.deepEqual(got, ['v1', 'v2', 'v3']);
});
