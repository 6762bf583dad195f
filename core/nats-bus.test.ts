// Integration tests for core/nats-bus.ts against the machine's NATS with JetStream (NATS_URL), one subject prefix
// (and so one stream) per test; dead letters go to a PostgreSQL schema per test, as bootPlatform records them.
// The test that restarts NATS runs a nats-server of its own.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Knex } from 'knex';
import { NatsBus, type DeadLetterSink, type NatsBusOptions } from './nats-bus.ts';
import { publish } from './bus.ts';
import { createLogger } from './logger.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { startNatsServer } from '../test/support/servers.ts';
import { waitFor } from '../test/support/wait.ts';

const NATS_URL = process.env.NATS_URL;
const skip = NATS_URL ? false : 'NATS_URL is not set (.ci/run starts NATS with JetStream)';
const log = createLogger(process.env.PAAS_LOG_LEVEL ?? 'silent');

/** A release.created payload (a work item); `n` tells them apart. */
const release = (n: number) => ({ v: 1, releaseId: n, app: 'demo', version: n, source: 'push', description: `v${n}` });

interface Harness { prefix: string; url: string; open(opts?: NatsBusOptions): Promise<NatsBus>; consumerInfo(durable: string): Promise<{ delivered: number; ackPending: number; pending: number }> }

/** A fresh subject prefix on a NATS server; every bus it opens is closed, and its stream deleted, when the test ends. */
function harness(t: TestContext, url = NATS_URL!, deadLetter: DeadLetterSink = async () => undefined): Harness {
  const prefix = `nb${crypto.randomBytes(4).toString('hex')}.`;
  const buses: NatsBus[] = [];
  t.after(async () => {
    for (const b of buses) await b.close();
    const nc = await connect({ servers: url, maxReconnectAttempts: 0 }).catch(() => undefined);
    if (!nc) return;
    const jsm = await jetstreamManager(nc);
    const stream = await jsm.streams.find(`${prefix}paas.push.received`).catch(() => undefined);
    if (stream) await jsm.streams.delete(stream);
    await nc.close();
  });
  return {
    prefix, url,
    async open(opts) {
      const bus = await NatsBus.connect(url, prefix, log, deadLetter, opts);
      buses.push(bus);
      return bus;
    },
    async consumerInfo(durable) {
      const nc = await connect({ servers: url });
      try {
        const jsm = await jetstreamManager(nc);
        const stream = await jsm.streams.find(`${prefix}paas.release.created`);
        const info = await jsm.consumers.info(stream, `${durable}_${prefix.replace(/[^A-Za-z0-9]/g, '_')}`);
        return { delivered: info.delivered.consumer_seq, ackPending: info.num_ack_pending, pending: info.num_pending };
      } finally {
        await nc.close();
      }
    },
  };
}

test('work items wait for their consumer; each durable consumer gets each item once and acks it', { skip }, async (t) => {
  const h = harness(t);
  const bus = await h.open();
  for (const n of [1, 2, 3]) await bus.publishRaw('paas.release.created', release(n), { id: `r-${n}` });
  const seen: Record<string, number[]> = { deployer: [], audit: [] };
  for (const durable of ['deployer', 'audit']) {
    bus.subscribe('paas.release.created', (subject, p) => {
      assert.equal(subject, 'paas.release.created', 'handlers see the subject without the prefix');
      seen[durable]!.push(Number(p.releaseId));
    }, { durable });
  }
  await waitFor(() => seen.deployer!.length === 3 && seen.audit!.length === 3, 10_000, 'three items on each consumer');
  for (const durable of ['deployer', 'audit']) {
    assert.deepEqual([...seen[durable]!].sort(), [1, 2, 3], durable);
    await waitFor(async () => (await h.consumerInfo(durable)).ackPending === 0, 10_000, `${durable} to ack everything`);
    assert.deepEqual(await h.consumerInfo(durable), { delivered: 3, ackPending: 0, pending: 0 }, `${durable}: delivered once each`);
  }
});

test('a second bus on the same durable (a restarted process) does not get acked items again', { skip }, async (t) => {
  const h = harness(t);
  const first = await h.open();
  const seen: number[] = [];
  first.subscribe('paas.release.created', (_s, p) => { seen.push(Number(p.releaseId)); }, { durable: 'deployer' });
  await first.publishRaw('paas.release.created', release(1), { id: 'r-1' });
  await waitFor(async () => seen.length === 1 && (await h.consumerInfo('deployer')).ackPending === 0, 10_000, 'item 1 acked');
  await first.close();
  const second = await h.open();
  second.subscribe('paas.release.created', (_s, p) => { seen.push(Number(p.releaseId)); }, { durable: 'deployer' });
  await second.publishRaw('paas.release.created', release(2), { id: 'r-2' });
  await waitFor(() => seen.includes(2), 10_000, 'item 2 on the second bus');
  assert.deepEqual(seen, [1, 2]);
});

test('an item whose handler throws is redelivered (nak) until a handler resolves', { skip }, async (t) => {
  const h = harness(t);
  const bus = await h.open();
  let calls = 0;
  bus.subscribe('paas.release.created', () => {
    calls++;
    if (calls === 1) throw new Error('transient failure');
  }, { durable: 'deployer' });
  await bus.publishRaw('paas.release.created', release(1), { id: 'r-1' });
  await waitFor(() => calls === 2, 15_000, 'the redelivery');
  await waitFor(async () => (await h.consumerInfo('deployer')).ackPending === 0, 10_000, 'the ack');
  assert.equal((await h.consumerInfo('deployer')).delivered, 2);
});

test('an item whose consumer dies before acking goes to the next consumer on that durable', { skip }, async (t) => {
  const h = harness(t);
  const first = await h.open({ ackWaitMs: 2000 });
  let received = false;
  first.subscribe('paas.release.created', () => { received = true; return new Promise<void>(() => undefined); }, { durable: 'deployer' });
  await first.publishRaw('paas.release.created', release(1), { id: 'r-1' });
  await waitFor(() => received, 10_000, 'the first delivery');
  await first.close(); // its handler never finished: no ack
  const second = await h.open({ ackWaitMs: 2000 });
  const seen: number[] = [];
  second.subscribe('paas.release.created', (_s, p) => { seen.push(Number(p.releaseId)); }, { durable: 'deployer' });
  await waitFor(() => seen.length === 1, 15_000, 'the redelivery to the second consumer');
  assert.deepEqual(seen, [1]);
});

test('a durable consumer takes the ack wait of the bus that opens it (PAAS_LEASE_SECONDS changed between runs)', { skip }, async (t) => {
  const h = harness(t);
  const ackWait = async () => {
    const nc = await connect({ servers: NATS_URL! });
    try {
      const jsm = await jetstreamManager(nc);
      const stream = await jsm.streams.find(`${h.prefix}paas.release.created`);
      return (await jsm.consumers.info(stream, `deployer_${h.prefix.replace(/[^A-Za-z0-9]/g, '_')}`)).config.ack_wait;
    } finally {
      await nc.close();
    }
  };
  const first = await h.open({ ackWaitMs: 2000 });
  first.subscribe('paas.release.created', () => undefined, { durable: 'deployer' });
  await waitFor(async () => await ackWait().catch(() => 0) === 2000 * 1e6, 10_000, 'the consumer with a 2 s ack wait');
  await first.close();
  const second = await h.open({ ackWaitMs: 5000 });
  second.subscribe('paas.release.created', () => undefined, { durable: 'deployer' });
  await waitFor(async () => await ackWait() === 5000 * 1e6, 10_000, 'the ack wait to become 5 s');
});

test('publishing the same id twice (an outbox row sent again) delivers one item', { skip }, async (t) => {
  const h = harness(t);
  const bus = await h.open();
  const seen: number[] = [];
  bus.subscribe('paas.release.created', (_s, p) => { seen.push(Number(p.releaseId)); }, { durable: 'deployer' });
  await bus.publishRaw('paas.release.created', release(1), { id: 'outbox-1' });
  await bus.publishRaw('paas.release.created', release(1), { id: 'outbox-1' });
  await bus.publishRaw('paas.release.created', release(2), { id: 'outbox-2' });
  await waitFor(() => seen.includes(2), 10_000, 'the item after the duplicate');
  await waitFor(async () => (await h.consumerInfo('deployer')).ackPending === 0, 10_000, 'the acks');
  assert.deepEqual(seen.sort(), [1, 2]);
  assert.equal((await h.consumerInfo('deployer')).delivered, 2);
});

test('malformed work items are terminated and recorded as dead letters; the items after them still flow', { skip }, async (t) => {
  const db = await openTestSchema(t, 'nb') as Knex;
  if (!db) return;
  // The sink bootPlatform gives the bus: a row in dead_letters.
  const h = harness(t, NATS_URL, async (subject, payload, reason) => { await db('dead_letters').insert({ subject, payload, reason }); });
  const bus = await h.open();
  const seen: number[] = [];
  bus.subscribe('paas.release.created', (_s, p) => { seen.push(Number(p.releaseId)); }, { durable: 'deployer' });
  const nc = await connect({ servers: NATS_URL! });
  t.after(() => nc.close());
  const js = jetstream(nc);
  const subject = `${h.prefix}paas.release.created`;
  await js.publish(subject, '{"v":1,"releaseId":');
  await js.publish(subject, JSON.stringify({ ...release(7), v: 2 }));
  const { app: _app, ...missingApp } = release(8);
  await js.publish(subject, JSON.stringify(missingApp));
  await bus.publishRaw('paas.release.created', release(9), { id: 'r-9' });
  await waitFor(() => seen.includes(9), 10_000, 'the valid item after the malformed ones');
  const dead = await waitFor(async () => {
    // Work items are settled side by side, so their dead letters may land in any order: compared sorted.
    const rows = await db('dead_letters').orderBy('reason').select('subject', 'reason');
    return rows.length === 3 ? rows : undefined;
  }, 10_000, 'three dead letters');
  assert.deepEqual(dead, [
    { subject: 'paas.release.created', reason: 'malformed: app is missing' },
    { subject: 'paas.release.created', reason: 'malformed: payload is not JSON' },
    { subject: 'paas.release.created', reason: 'malformed: v must be 1' },
  ]);
  assert.deepEqual(seen, [9], 'handlers never see a malformed item');
  await waitFor(async () => (await h.consumerInfo('deployer')).ackPending === 0, 10_000, 'nothing left unacked');
  assert.equal((await h.consumerInfo('deployer')).delivered, 4, 'terminated items are not redelivered');
});

test('a handler that keeps failing on one item does not hold up the items after it', { skip }, async (t) => {
  const h = harness(t);
  const bus = await h.open();
  const seen: number[] = [];
  let poisoned = 0;
  bus.subscribe('paas.release.created', (_s, p) => {
    if (p.releaseId === 1) { poisoned++; throw new Error('cannot handle this one'); }
    seen.push(Number(p.releaseId));
  }, { durable: 'deployer' });
  for (const n of [1, 2, 3]) await bus.publishRaw('paas.release.created', release(n), { id: `r-${n}` });
  await waitFor(() => seen.length === 2, 10_000, 'items 2 and 3');
  assert.deepEqual(seen.sort(), [2, 3]);
  assert.ok(poisoned >= 1);
});

test('log lines travel on core NATS under the prefix and reach every subscriber; invalid ones are dropped', { skip }, async (t) => {
  const h = harness(t);
  const bus = await h.open();
  const a: string[] = [];
  const b: string[] = [];
  bus.subscribe('paas.build.*.log', (subject, p) => { a.push(`${subject} ${String(p.line)}`); });
  bus.subscribe('paas.build.b1.log', (_s, p) => { b.push(String(p.line)); });
  const nc = await connect({ servers: NATS_URL! });
  t.after(() => nc.close());
  const wire: string[] = [];
  nc.subscribe(`${h.prefix}paas.build.*.log`, { callback: (_e, m) => { wire.push(m.subject); } });
  await nc.flush();
  await publish(bus, 'buildLog', { buildId: 'b1', app: 'demo', seq: 1, line: 'one' }, 'b1');
  await bus.publishRaw('paas.build.b1.log', { v: 1, buildId: 'b1' });
  await publish(bus, 'buildLog', { buildId: 'b1', app: 'demo', seq: 2, line: 'two' }, 'b1');
  await waitFor(() => a.length === 2 && b.length === 2, 10_000, 'both lines on both subscribers');
  assert.deepEqual(a, ['paas.build.b1.log one', 'paas.build.b1.log two']);
  assert.deepEqual(b, ['one', 'two']);
  await waitFor(() => wire.length === 3, 10_000, 'the wire copies');
  assert.deepEqual(wire, Array(3).fill(`${h.prefix}paas.build.b1.log`));
});

test('ready() turns false when NATS goes away and true when it is back; work flows again after the restart', { skip }, async (t) => {
  const server = await startNatsServer();
  t.after(() => server.destroy());
  const h = harness(t, server.url);
  const bus = await h.open();
  const seen: number[] = [];
  bus.subscribe('paas.release.created', (_s, p) => { seen.push(Number(p.releaseId)); }, { durable: 'deployer' });
  await bus.publishRaw('paas.release.created', release(1), { id: 'r-1' });
  await waitFor(() => seen.includes(1), 10_000, 'item 1');
  assert.equal(bus.ready(), true);
  await server.stop();
  await waitFor(() => !bus.ready(), 10_000, 'ready() to turn false');
  await assert.rejects(bus.publishRaw('paas.release.created', release(2), { id: 'r-2' }), 'a work item cannot be published while NATS is down');
  await server.start();
  await waitFor(() => bus.ready(), 15_000, 'ready() to turn true again');
  await bus.publishRaw('paas.release.created', release(3), { id: 'r-3' });
  await waitFor(() => seen.includes(3), 20_000, 'item 3 after the restart');
  assert.deepEqual(seen, [1, 3]);
});

test('consumerLag reports each durable\'s undelivered and unacked items, by its canonical name (for /metrics)', { skip }, async (t) => {
  const h = harness(t);
  const bus = await h.open();
  assert.deepEqual(await bus.consumerLag(), [], 'no durable consumed yet');
  for (const n of [1, 2, 3, 4, 5, 6]) await bus.publishRaw('paas.release.created', release(n), { id: `r-${n}` });
  let release_!: () => void;
  const held = new Promise<void>((r) => { release_ = r; });
  let started = 0;
  bus.subscribe('paas.release.created', async () => { started++; await held; }, { durable: 'deployer' });
  await waitFor(() => started > 0, 10_000, 'the first item to reach its handler');
  const during = await waitFor(async () => {
    const [lag] = await bus.consumerLag();
    return lag && lag.pending + lag.ackPending === 6 && lag.ackPending > 0 ? lag : undefined;
  }, 10_000, 'six items pending or unacked');
  assert.equal(during.durable, 'deployer');
  release_();
  await waitFor(async () => {
    const [lag] = await bus.consumerLag();
    return lag?.pending === 0 && lag.ackPending === 0;
  }, 10_000, 'the lag to drain');
});

test('consumerLag leaves out a stopped subscription\'s durable, and one unreadable consumer does not hide the others', { skip }, async (t) => {
  const h = harness(t);
  const bus = await h.open();
  const stopDeployer = bus.subscribe('paas.release.created', async () => undefined, { durable: 'deployer' });
  bus.subscribe('paas.release.created', async () => undefined, { durable: 'auditor' });
  const names = async () => (await bus.consumerLag()).map((l) => l.durable).sort();
  await waitFor(async () => (await names()).length === 2, 10_000, 'both durables in the lag report');
  stopDeployer();
  assert.deepEqual(await names(), ['auditor'], 'the stopped durable is gone from the report');
  // A consumer deleted on the server (the auditor's) fails its read; the others are still reported.
  bus.subscribe('paas.release.created', async () => undefined, { durable: 'deployer' });
  await waitFor(async () => (await names()).length === 2, 10_000, 'the deployer back in the report');
  const nc = await connect({ servers: h.url });
  t.after(() => nc.close());
  const jsm = await jetstreamManager(nc);
  const stream = await jsm.streams.find(`${h.prefix}paas.release.created`);
  await jsm.consumers.delete(stream, `auditor_${h.prefix.replace(/[^A-Za-z0-9]/g, '_')}`);
  assert.ok((await names()).includes('deployer'));
});
