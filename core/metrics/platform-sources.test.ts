// core/metrics/platform-sources.test.ts — the readings every process reports, against the real PostgreSQL: the outbox
// backlog and its oldest row's age, the pool's use, and the health port's /metrics (the metrics token only; off without one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryBus } from '../bus.ts';
import { startProbes, type Platform } from '../boot.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { openTestSchema } from '../../test/support/test-schema.ts';
import { attachHttpServer, attachPlatformMetrics, shared } from './platform-sources.ts';
import { metricsText } from './registry.ts';

const valueOf = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

test('the outbox backlog, its oldest row\'s age and the pool are read at scrape time', async (t) => {
  const db = await openTestSchema(t, 'metrics');
  if (!db) return;
  const bus = new MemoryBus(createLogger('silent'));
  const first = attachPlatformMetrics(db, bus);
  let text = (await metricsText()).body;
  assert.equal(valueOf(text, 'paas_outbox_pending'), 0);
  assert.equal(valueOf(text, 'paas_outbox_oldest_pending_age_seconds'), 0);
  assert.equal(valueOf(text, 'paas_jetstream_consumer_pending'), NaN, 'the in-process bus has no consumer lag');
  await db('outbox').insert([
    { subject: 'paas.app.destroyed', payload: '{}', created_at: db.raw("now() - interval '90 seconds'") },
    { subject: 'paas.app.destroyed', payload: '{}' },
    { subject: 'paas.app.destroyed', payload: '{}', published_at: db.fn.now() },
  ]);
  first(); // a fresh attachment: a reading is shared for a second between the families of one scrape
  t.after(attachPlatformMetrics(db, bus));
  text = (await metricsText()).body;
  assert.equal(valueOf(text, 'paas_outbox_pending'), 2);
  const age = valueOf(text, 'paas_outbox_oldest_pending_age_seconds');
  assert.ok(age >= 90 && age < 120, `age ${age}`);
  assert.ok(valueOf(text, 'paas_db_pool_free_connections') + valueOf(text, 'paas_db_pool_used_connections') >= 1);
  assert.equal(valueOf(text, 'paas_db_pool_pending_acquires'), 0);
});

test('a health port serves /metrics with the metrics token, and counts the HTTP connections open to a server', async (t) => {
  const db = await openTestSchema(t, 'metrics');
  if (!db) return;
  const log = createLogger('silent');
  const p = { config: loadConfig({ PAAS_DATA_DIR: '/nonexistent', PAAS_HOST: '127.0.0.1', PAAS_METRICS_TOKEN: 'probe-token' }), log, db, bus: new MemoryBus(log) } as unknown as Platform;
  const probes = await startProbes(p, 0);
  t.after(() => probes.close());
  const server = http.createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const detach = attachHttpServer(server);
  t.after(() => { detach(); server.closeAllConnections(); server.close(); });
  const held = http.get({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, agent: false });
  held.on('error', () => undefined);
  await new Promise((r) => server.once('connection', r));
  const res = await fetch(`http://127.0.0.1:${probes.port}/metrics`, { headers: { authorization: 'Bearer probe-token' } });
  assert.equal(res.status, 200);
  assert.match(String(res.headers.get('content-type')), /^text\/plain; version=0\.0\.4/);
  assert.equal(valueOf(await res.text(), 'paas_http_connections_open'), 1);
  held.destroy();
});

/** A health port on 127.0.0.1 with the given PAAS_METRICS_TOKEN (or none). */
async function probesWith(t: import('node:test').TestContext, token: string | undefined) {
  const log = createLogger('silent');
  const env = { PAAS_DATA_DIR: '/nonexistent', PAAS_HOST: '127.0.0.1', ...(token ? { PAAS_METRICS_TOKEN: token } : {}) };
  const p = { config: loadConfig(env), log, db: {}, bus: new MemoryBus(log) } as unknown as Platform;
  const probes = await startProbes(p, 0);
  t.after(() => probes.close());
  return (authorization?: string) => fetch(`http://127.0.0.1:${probes.port}/metrics`, { headers: authorization ? { authorization } : {} });
}

test('a loopback request to a health port\'s /metrics without the metrics token gets 401 (another app on the host)', async (t) => {
  const scrape = await probesWith(t, 'probe-token');
  for (const authorization of [undefined, 'Bearer nope', 'Bearer probe-tokeN', 'Basic cHJvYmUtdG9rZW4=']) {
    const res = await scrape(authorization);
    assert.equal(res.status, 401, String(authorization));
    const body = await res.text();
    assert.equal((JSON.parse(body) as { error: { code: string } }).error.code, 'E_UNAUTHENTICATED');
    assert.doesNotMatch(body, /paas_/);
  }
});

test('without PAAS_METRICS_TOKEN a health port\'s /metrics is off: 401 saying so, whatever is sent', async (t) => {
  const scrape = await probesWith(t, undefined);
  for (const authorization of [undefined, 'Bearer ', 'Bearer undefined']) {
    const res = await scrape(authorization);
    assert.equal(res.status, 401);
    const body = JSON.parse(await res.text()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'E_UNAUTHENTICATED');
    assert.match(body.error.message, /off on the health ports.*PAAS_METRICS_TOKEN/);
  }
});

test('shared() hands out a reading still in flight whatever its age, and forgets a failed one', async () => {
  let calls = 0;
  const pending: Array<{ resolve(v: number): void; reject(e: Error): void }> = [];
  // A time to live every reading is past at once (-1 ms): only being in flight can keep it shared.
  const read = shared(() => { calls += 1; return new Promise<number>((resolve, reject) => pending.push({ resolve, reject })); }, -1);
  const first = read();
  assert.equal(read(), first, 'the slow reading is shared, not piled up');
  assert.equal(calls, 1);
  pending[0]!.reject(new Error('database away'));
  await assert.rejects(first);
  const second = read();
  assert.notEqual(second, first, 'a failed reading is not handed out again');
  assert.equal(calls, 2);
  pending[1]!.resolve(7);
  assert.equal(await second, 7);
});

test('while queries wait for a database connection, a scrape skips the outbox reading (counted as a collect error)', async (t) => {
  const db = await openTestSchema(t, 'metrics');
  if (!db) return;
  t.after(attachPlatformMetrics(db, new MemoryBus(createLogger('silent'))));
  const max = (db.client as { pool: { max: number } }).pool.max;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  // Every connection of the pool held by an open transaction, and one more query waiting for one.
  const held = Array.from({ length: max }, () => db.transaction(async (trx) => { await trx.raw('SELECT 1'); await gate; }));
  const pool = (db.client as { pool: { numPendingAcquires(): number; numUsed(): number } }).pool;
  const turns = () => new Promise((r) => setImmediate(r));
  while (pool.numUsed() < max) await turns();
  const waiting = db.raw('SELECT 1').then(() => undefined); // a knex query runs once then()ed
  while (pool.numPendingAcquires() === 0) await turns();
  const errors = (text: string) => valueOf(text, 'paas_metrics_collect_errors_total{metric="paas_outbox_pending"}') || 0;
  const first = (await metricsText()).body;
  const second = (await metricsText()).body; // a skipped reading is not cached: the next scrape asks again
  for (const text of [first, second]) {
    assert.equal(valueOf(text, 'paas_outbox_pending'), NaN, 'left out of the scrape');
    assert.equal(valueOf(text, 'paas_db_pool_pending_acquires'), 1);
  }
  assert.equal(errors(second), errors(first) + 1);
  release();
  await Promise.all([...held, waiting]);
  assert.equal(valueOf((await metricsText()).body, 'paas_outbox_pending'), 0, 'read again once the pool is free');
});
