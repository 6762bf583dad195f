// controller/metrics-sampler.test.ts — the sampler with real PostgreSQL, a real router and a real app behind it:
// traffic and process usage land in app_metrics at 10 s and 60 s resolution with the right counts, restarts are
// counted, unknown apps ignored, old rows trimmed; and the timer samples on its own until stopped.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Knex } from 'knex';
import { createLogger } from '../core/logger.ts';
import { LocalUsage } from '../runtime/local/usage.ts';
import { LATENCY_BOUNDS } from '../runtime/router/stats.ts';
import { UsageBoard } from '../runtime/usage.ts';
import { makeSlug, request, startHarness, toRelease, waitFor, type Harness } from '../test/support/local-runtime.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { TICK_SLACK_MS, nextTickDelay, startMetricsSampler, type SamplerDeps } from './metrics-sampler.ts';

const appJs = `
const http = require('node:http');
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url === '/fail') { res.statusCode = 500; return res.end('broken'); }
    if (req.url === '/none') { res.statusCode = 404; return res.end('none'); }
    res.end('hello');
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

/** An app row (owned by a new user), as apps:create makes one; returns its id. */
async function insertApp(db: Knex, name: string): Promise<number> {
  const [user] = await db('users').insert({ email: `${name}@example.com`, password_hash: 'x' }).returning('id');
  const [row] = await db('apps').insert({ name, owner_id: (user as { id: number }).id }).returning('id');
  return (row as { id: number }).id;
}

/** The schema, the router and runtime with `shop` serving, and the sampler's dependencies (timer off, clock given). */
async function setup(t: TestContext): Promise<{ db: Knex; h: Harness; appId: number; deps: SamplerDeps } | undefined> {
  const db = await openTestSchema(t, 'metrics');
  if (!db) return undefined;
  const appId = await insertApp(db, 'shop');
  const h = await startHarness(t);
  await h.runtime.deploy(toRelease('shop', await makeSlug(t, { 'app.js': appJs }), 1, [{ type: 'web', command: 'node app.js', quantity: 1 }]), () => {});
  const deps: SamplerDeps = {
    db, router: h.router, usage: new LocalUsage(h.runtime), board: new UsageBoard(), intervalMs: 3_600_000,
    runtime: { statusAll: async (apps) => apps.flatMap((a) => h.runtime.status(a)) }, log: createLogger('silent'),
  };
  return { db, h, appId, deps };
}

/** n requests through the router to the app's host. */
async function send(h: Harness, host: string, n: number, path = '/', body?: string): Promise<void> {
  for (let i = 0; i < n; i++) {
    const r = await request(h.routerPort, `${host}.localhost`, { path, method: body ? 'POST' : 'GET', body });
    assert.ok(r.status >= 200, `${path}: ${r.status}`);
  }
}

type Row = Record<string, unknown> & { at: Date; latency_counts: number[] | null };
const rows = (db: Knex, resolution: number, type: string) => db('app_metrics').where({ resolution, type }).orderBy('at') as Promise<Row[]>;
const sum = (xs: readonly number[] | null) => (xs ?? []).reduce((a, b) => a + b, 0);

test('traffic and usage land in 10 s and 60 s rows with the right counts; restarts are counted; old rows are trimmed', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { db, h, appId, deps } = s;
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  let clock = minute + 5000;
  const sampler = startMetricsSampler({ ...deps, now: () => clock });
  t.after(() => sampler.stop());
  await sampler.tick(); // the baseline
  h.router.setRoute('ghost', [h.runtime.status('shop')[0]!.port!]); // routed, but no such app in the database
  await send(h, 'shop', 5);
  await send(h, 'shop', 2, '/fail');
  await send(h, 'shop', 1, '/', 'x'.repeat(1000));
  await send(h, 'ghost', 3);
  clock = minute + 6000;
  await sampler.tick();
  await send(h, 'shop', 3);
  clock = minute + 9000; // the same 10 s bucket: added to it
  await sampler.tick();
  await send(h, 'shop', 1, '/none');
  clock = minute + 15_000; // the next one
  await sampler.tick();

  const fine = await rows(db, 10, '');
  assert.deepEqual(fine.map((r) => [r.at.getTime() - minute, r.r2xx, r.r4xx, r.r5xx, sum(r.latency_counts)]), [[0, 9, 0, 2, 11], [10_000, 0, 1, 0, 1]]);
  assert.ok(fine.every((r) => r.app_id === appId && r.latency_counts?.length === LATENCY_BOUNDS.length), 'only shop; one count per bound');
  assert.ok(Number(fine[0]!.bytes_in) >= 1000, `bytes_in ${fine[0]!.bytes_in} holds the 1000-byte body`);
  const traffic = (await h.router.stats()).apps.shop!;
  const coarse = await rows(db, 60, '');
  assert.equal(coarse.length, 1);
  const c = coarse[0]!;
  assert.deepEqual([c.at.getTime(), c.r2xx, c.r4xx, c.r5xx, sum(c.latency_counts)], [minute, 9, 1, 2, 12]);
  assert.deepEqual([c.bytes_in, c.bytes_out], [traffic.bytesIn, traffic.bytesOut], 'every byte the router counted, once');
  assert.ok(Math.abs(Number(c.latency_sum_ms) - traffic.latencyMs.sum) < 1e-6);

  const web = await rows(db, 10, 'web');
  assert.deepEqual(web.map((r) => r.at.getTime() - minute), [0, 10_000]);
  assert.ok(web.every((r) => r.instances === 1 && Number(r.memory_bytes) > 10 * 1024 * 1024 && r.latency_counts === null), JSON.stringify(web));
  assert.equal(deps.board.get().usage.length, 1);

  // A crash: the supervisor restarts web.1; the next bucket counts one restart, and its CPU from zero.
  process.kill(h.runtime.status('shop')[0]!.pid!, 'SIGKILL');
  await waitFor('web.1 restarted and up', () => h.runtime.status('shop').some((p) => p.restarts === 1 && p.state === 'up'));
  clock = minute + 25_000;
  await sampler.tick();
  const after = (await rows(db, 10, 'web')).at(-1)!;
  assert.deepEqual([after.at.getTime() - minute, after.restarts, after.instances], [20_000, 1, 1]);
  assert.equal((await rows(db, 60, 'web'))[0]!.restarts, 1);

  // The ring: rows past an hour (10 s) and a day (60 s) go; younger ones stay.
  const old = { app_id: appId, type: '' };
  await db('app_metrics').insert([
    { ...old, resolution: 10, at: new Date(clock - 61 * 60_000) }, { ...old, resolution: 10, at: new Date(clock - 59 * 60_000) },
    { ...old, resolution: 60, at: new Date(clock - 25 * 3_600_000) }, { ...old, resolution: 60, at: new Date(clock - 23 * 3_600_000) },
  ]);
  await sampler.tick();
  const left = (await db('app_metrics').where('at', '<', new Date(minute)).select('resolution', 'at')).map((r) => [r.resolution, clock - r.at.getTime()]);
  assert.deepEqual(left.sort((a, b) => a[0]! - b[0]!), [[10, 59 * 60_000], [60, 23 * 3_600_000]]);
});

test('a tick just past a boundary files what it measured under the bucket of its interval\'s midpoint, not its own', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { db, h, deps } = s;
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  let clock = minute + 10_000 + TICK_SLACK_MS; // ticks as the timer runs them, a little after each boundary
  const sampler = startMetricsSampler({ ...deps, now: () => clock });
  t.after(() => sampler.stop());
  await sampler.tick(); // the baseline
  await send(h, 'shop', 3);
  clock = minute + 20_000 + TICK_SLACK_MS; // measured [10 s, 20 s]: the 10 s bucket, not the 20 s one
  await sampler.tick();
  await send(h, 'shop', 2);
  clock = minute + 30_000 + TICK_SLACK_MS;
  await sampler.tick();
  const fine = await rows(db, 10, '');
  assert.deepEqual(fine.map((r) => [r.at.getTime() - minute, r.r2xx]), [[10_000, 3], [20_000, 2]]);
  const web = await rows(db, 10, 'web');
  assert.deepEqual(web.map((r) => r.at.getTime() - minute), [10_000, 20_000], 'usage rows follow the same rule');
  // A late tick (one missed): the interval [20 s, 45 s] has its midpoint in the 30 s bucket.
  await send(h, 'shop', 1);
  clock = minute + 45_000;
  await sampler.tick();
  assert.deepEqual((await rows(db, 10, '')).map((r) => r.at.getTime() - minute), [10_000, 20_000, 30_000]);
});

test('on its timer the sampler writes rows by itself, and stop() waits for the tick in progress', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const sampler = startMetricsSampler({ ...s.deps, intervalMs: 100 });
  t.after(() => sampler.stop());
  await waitFor('the first ticks', async () => (await s.db('app_metrics').where({ type: 'web' })).length > 0);
  await send(s.h, 'shop', 4);
  await waitFor('4 requests in app_metrics', async () => Number((await s.db('app_metrics').where({ type: '', resolution: 10 }).sum('r2xx as n'))[0]!.n) === 4, 10_000);
  // stop() waits for a tick in progress, so nothing writes after it (the schema is dropped right after the test).
  let finished = false;
  void sampler.tick().then(() => { finished = true; });
  await sampler.stop();
  assert.ok(finished, 'the tick in progress finished before stop() resolved');
});

test('a failed write loses nothing: the next tick counts both intervals', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { db, h, deps } = s;
  const sampler = startMetricsSampler(deps);
  t.after(() => sampler.stop());
  await sampler.tick(); // the baseline
  await send(h, 'shop', 3);
  await db.raw('ALTER TABLE app_metrics RENAME TO app_metrics_away'); // the write fails, as with the database away
  await assert.rejects(sampler.tick(), /app_metrics/);
  await db.raw('ALTER TABLE app_metrics_away RENAME TO app_metrics');
  await send(h, 'shop', 2);
  await sampler.tick();
  const total = Number((await db('app_metrics').where({ type: '', resolution: 10 }).sum('r2xx as n'))[0]!.n);
  assert.equal(total, 5, 'the 3 requests of the failed tick and the 2 after it');
});

test('a minute whose rollup did not happen is rolled up by a later tick', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const { db, appId, deps } = s;
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  let clock = minute + 5000;
  const sampler = startMetricsSampler({ ...deps, now: () => clock });
  t.after(() => sampler.stop());
  await sampler.tick();
  // A tick of the next minute wrote its 10 s row, and its rollup failed (the database went away in between).
  await db('app_metrics').insert({ app_id: appId, type: '', resolution: 10, at: new Date(minute + 60_000), r2xx: 7 });
  clock = minute + 3 * 60_000 + 5000;
  await sampler.tick();
  const coarse = await db('app_metrics').where({ type: '', resolution: 60, at: new Date(minute + 60_000) });
  assert.deepEqual(coarse.map((r: { r2xx: number }) => r.r2xx), [7]);
});

test('the next tick is on the wall clock\'s next interval boundary, whatever the previous tick took', () => {
  assert.equal(nextTickDelay(10_000 + TICK_SLACK_MS, 10_000), 10_000, 'ticked on time: a whole interval');
  assert.equal(nextTickDelay(13_700, 10_000), 6300 + TICK_SLACK_MS, 'a tick that took 3.7 s: the rest of the interval');
  assert.equal(nextTickDelay(19_999, 10_000), 1 + TICK_SLACK_MS);
  assert.equal(nextTickDelay(20_000, 1000), TICK_SLACK_MS);
});

test('on its timer the sampler ticks on the interval boundaries of the wall clock, however late it was started', async (t) => {
  const s = await setup(t);
  if (!s) return;
  const interval = 1000;
  // Start 800 ms into an interval: ticks an interval after the start (or after the previous one) would land 800+ ms in.
  await new Promise((resolve) => setTimeout(resolve, (interval + 800 - (Date.now() % interval)) % interval));
  const at: number[] = [];
  const sampler = startMetricsSampler({ ...s.deps, intervalMs: interval, now: () => { at.push(Date.now()); return at.at(-1)!; } });
  t.after(() => sampler.stop());
  await waitFor('3 ticks', () => at.length >= 3, 10_000);
  await sampler.stop();
  const offsets = at.map((n) => n % interval);
  // setTimeout keeps the monotonic clock and Date.now() the wall clock: a timer may fire a millisecond or two before
  // the slack it was given, as seen on a loaded machine (19 ms in with a 20 ms slack); never before the boundary.
  assert.ok(offsets.every((o) => o >= TICK_SLACK_MS - 5 && o < 600), `each tick just past a boundary: ${offsets.join(', ')} ms in`);
  assert.ok(at.every((n, i) => i === 0 || Math.floor(n / interval) > Math.floor(at[i - 1]! / interval)), 'one tick per interval');
});


test('stop() abandons a reading in progress (stats calls that hang) instead of waiting for it', { timeout: 10_000 }, async (t) => {
  const s = await setup(t);
  if (!s) return;
  let asked: () => void = () => {};
  const reading = new Promise<void>((resolve) => { asked = resolve; });
  const hanging = {
    usage: (_apps: string[], signal?: AbortSignal) => new Promise<never>((_resolve, reject) => {
      asked();
      signal?.addEventListener('abort', () => reject(signal.reason));
    }),
  };
  const sampler = startMetricsSampler({ ...s.deps, usage: hanging });
  const tick = sampler.tick();
  await reading;
  await sampler.stop();
  await tick; // resolves: an abandoned reading is no failure
  assert.equal((await s.db('app_metrics')).length, 0, 'nothing written by the abandoned tick');
});
