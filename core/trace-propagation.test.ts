// Integration tests: a trace crosses processes in outbox rows (core/outbox.ts) and NATS headers (core/nats-bus.ts),
// and in-process on the MemoryBus (core/bus.ts): the handler runs in the publisher's trace. Hostile or missing
// traceparents (a header, a row) give the handler a new trace. Real PostgreSQL and NATS (a schema, a prefix per test).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { connect, headers } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { MemoryBus, type Bus } from './bus.ts';
import { createLogger } from './logger.ts';
import { NatsBus } from './nats-bus.ts';
import { enqueueEvent, OutboxRelay } from './outbox.ts';
import { currentTraceId, initTracing, traceparentOf, withSpan } from './tracing.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { waitFor } from '../test/support/wait.ts';

initTracing('propagation', { headers: {} }, { exporter: new InMemorySpanExporter() });
const log = createLogger(process.env.PAAS_LOG_LEVEL ?? 'silent');
const NATS_URL = process.env.NATS_URL;
const noNats = NATS_URL ? false : 'NATS_URL is not set (.ci/run starts NATS with JetStream)';

const release = { v: 1, releaseId: 7, app: 'demo', version: 7, source: 'push', description: 'v7' };
const line = { v: 1, buildId: 'b1', app: 'demo', seq: 1, line: 'hello' };
const appLine = { v: 1, app: 'demo', source: 'web.1', line: 'hello', time: new Date(0).toISOString() };
const buildStatus = { v: 1, buildId: 'b1', app: 'demo', number: 1, status: 'running' };

/** Subscribes and resolves with the trace id each delivered message's handler ran in (undefined: none). */
function traceSeen(bus: Bus, pattern: string, durable?: string): { next(): Promise<string | 'none'> } {
  const seen: Array<string | 'none'> = [];
  bus.subscribe(pattern, () => { seen.push(currentTraceId() ?? 'none'); }, durable ? { durable } : {});
  let taken = 0;
  return { next: () => waitFor(() => seen[taken] && seen[taken++], 10_000, `a delivery on ${pattern}`) };
}

async function natsBus(t: TestContext): Promise<{ bus: NatsBus; prefix: string }> {
  const prefix = `tp${crypto.randomBytes(4).toString('hex')}.`;
  const bus = await NatsBus.connect(NATS_URL!, prefix, log, async () => undefined, { ackWaitMs: 5000 });
  t.after(async () => {
    await bus.close();
    const nc = await connect({ servers: NATS_URL! });
    const jsm = await jetstreamManager(nc);
    const stream = await jsm.streams.find(`${prefix}paas.push.received`).catch(() => undefined);
    if (stream) await jsm.streams.delete(stream);
    await nc.close();
  });
  return { bus, prefix };
}

/** A plain NATS subscriber on the prefixed subject: resolves with each message's traceparent header, or 'absent'. */
async function headerSeen(t: TestContext, subject: string): Promise<{ next(): Promise<string> }> {
  const nc = await connect({ servers: NATS_URL! });
  t.after(() => nc.close());
  const seen: string[] = [];
  nc.subscribe(subject, { callback: (_err, msg) => { seen.push(msg.headers?.get('traceparent') || 'absent'); } });
  await nc.flush();
  let taken = 0;
  return { next: () => waitFor(() => seen[taken] && seen[taken++], 10_000, `a message on ${subject}`) };
}

test('MemoryBus: a handler runs in the trace of the publisher, or of the traceparent given (the relay\'s)', async () => {
  const bus = new MemoryBus(log);
  const seen = traceSeen(bus, 'paas.build.*.log');
  let publisher = '';
  await withSpan('publisher', {}, async () => { publisher = currentTraceId()!; await bus.publishRaw('paas.build.b1.log', line); });
  assert.equal(await seen.next(), publisher);
  const given = `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`;
  await withSpan('relay', {}, () => bus.publishRaw('paas.build.b1.log', line, { trace: given }));
  assert.equal(await seen.next(), 'ab'.repeat(16));
  await withSpan('relay', {}, () => bus.publishRaw('paas.build.b1.log', line, { trace: 'not-a-traceparent' }));
  assert.equal(await seen.next(), 'none', 'a malformed traceparent: no trace, and not the relay\'s');
});

test('NatsBus: the traceparent header carries the trace on core NATS and on JetStream work items', { skip: noNats }, async (t) => {
  const { bus } = await natsBus(t);
  const statuses = traceSeen(bus, 'paas.build.*.status');
  const work = traceSeen(bus, 'paas.release.created', 'tp-deploys');
  let traceId = '';
  await withSpan('publisher', {}, async () => {
    traceId = currentTraceId()!;
    await bus.publishRaw('paas.build.b1.status', buildStatus);
    await bus.publishRaw('paas.release.created', release, { id: crypto.randomUUID() });
  });
  assert.equal(await statuses.next(), traceId);
  assert.equal(await work.next(), traceId);
  await bus.publishRaw('paas.release.created', release, { id: crypto.randomUUID(), trace: '' });
  assert.equal(await work.next(), 'none', 'no header: no trace');
});

test('NatsBus: a malformed or oversized traceparent header is ignored; the item is still handled, in a new trace', { skip: noNats }, async (t) => {
  const { bus, prefix } = await natsBus(t);
  const logs = traceSeen(bus, 'paas.build.*.log');
  const work = traceSeen(bus, 'paas.release.created', 'tp-hostile');
  const nc = await connect({ servers: NATS_URL! });
  t.after(() => nc.close());
  const js = jetstream(nc);
  for (const value of ['garbage', `00-${'0'.repeat(32)}-${'1'.repeat(16)}-01`, `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01${'-x'.repeat(20_000)}`]) {
    const h = headers();
    h.set('traceparent', value);
    nc.publish(`${prefix}paas.build.b1.log`, JSON.stringify(line), { headers: h });
    await js.publish(`${prefix}paas.release.created`, JSON.stringify(release), { headers: h });
    assert.equal(await logs.next(), 'none');
    assert.equal(await work.next(), 'none');
  }
});

test('the outbox keeps the active traceparent in the row, and the relay publishes it: the handler is in that trace', { skip: noNats }, async (t) => {
  let relay: OutboxRelay | undefined;
  t.after(() => relay?.stop()); // first: its LISTEN connection holds the schema's cleanup (after hooks run in order)
  const db = await openTestSchema(t, 'tp');
  if (!db) return;
  const { bus } = await natsBus(t);
  const work = traceSeen(bus, 'paas.release.created', 'tp-outbox');
  relay = new OutboxRelay(db, bus, log, 200);
  let traceId = '', parent = '';
  await withSpan('release', {}, () => db.transaction(async (trx) => {
    traceId = currentTraceId()!;
    parent = traceparentOf()!;
    await enqueueEvent(trx, 'releaseCreated', { releaseId: 7, app: 'demo', version: 7, source: 'push', description: 'v7' });
  }));
  const row = await db('outbox').orderBy('id', 'desc').first();
  assert.equal(row.trace, parent);
  // A row with a hostile trace (written by anything with database access) is published without one.
  await db('outbox').insert({ subject: 'paas.release.created', payload: JSON.stringify(release), trace: 'x'.repeat(5000) });
  await enqueueEvent(db, 'releaseCreated', { releaseId: 8, app: 'demo', version: 8, source: 'push', description: 'v8' });
  await relay.start();
  assert.equal(await work.next(), traceId);
  assert.equal(await work.next(), 'none');
  assert.equal(await work.next(), 'none', 'a row enqueued outside any span has no trace');
});

test('NatsBus: log lines (build, app) carry no traceparent header, even in a span; status events and work items do', { skip: noNats }, async (t) => {
  const { bus, prefix } = await natsBus(t);
  const buildLogs = await headerSeen(t, `${prefix}paas.build.b1.log`);
  const appLogs = await headerSeen(t, `${prefix}paas.app.demo.log`);
  const statuses = await headerSeen(t, `${prefix}paas.build.b1.status`);
  const work = await headerSeen(t, `${prefix}paas.release.created`);
  let parent = '';
  await withSpan('publisher', {}, async () => {
    parent = traceparentOf()!;
    await bus.publishRaw('paas.build.b1.log', line);
    await bus.publishRaw('paas.app.demo.log', appLine);
    await bus.publishRaw('paas.build.b1.status', buildStatus);
    await bus.publishRaw('paas.release.created', release, { id: crypto.randomUUID() });
  });
  assert.equal(await buildLogs.next(), 'absent');
  assert.equal(await appLogs.next(), 'absent');
  assert.equal(await statuses.next(), parent);
  assert.equal(await work.next(), parent);
});

test('NatsBus: a given traceparent is never sent verbatim: CR/LF or oversized junk gives no header and no error', { skip: noNats }, async (t) => {
  const { bus, prefix } = await natsBus(t);
  const work = await headerSeen(t, `${prefix}paas.release.created`);
  const valid = `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`;
  // A trailing newline is whitespace to the W3C parser: the value re-made from it is clean.
  for (const [trace, sent] of [[`${valid}\r\nx-injected: 1`, 'absent'], [`${valid}\n`, valid], ['x'.repeat(5000), 'absent']]) {
    await bus.publishRaw('paas.release.created', release, { id: crypto.randomUUID(), trace });
    assert.equal(await work.next(), sent, JSON.stringify(trace!.slice(0, 80)));
  }
  await bus.publishRaw('paas.release.created', release, { id: crypto.randomUUID(), trace: valid });
  assert.equal(await work.next(), valid);
});

test('the outbox relay does not stall on a row whose trace has a newline: it is published without a header, and the rows after it too', { skip: noNats }, async (t) => {
  let relay: OutboxRelay | undefined;
  t.after(() => relay?.stop());
  const db = await openTestSchema(t, 'tpnl');
  if (!db) return;
  const { bus, prefix } = await natsBus(t);
  const headersSeen = await headerSeen(t, `${prefix}paas.release.created`);
  const valid = `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`;
  await db('outbox').insert({ subject: 'paas.release.created', payload: JSON.stringify(release), trace: `${valid}\r\nx-injected: 1` });
  await db('outbox').insert({ subject: 'paas.release.created', payload: JSON.stringify({ ...release, version: 8 }), trace: valid });
  relay = new OutboxRelay(db, bus, log, 200);
  await relay.start();
  assert.equal(await headersSeen.next(), 'absent');
  assert.equal(await headersSeen.next(), valid);
  assert.equal((await db('outbox').whereNull('published_at')).length, 0, 'both rows are marked sent');
});
