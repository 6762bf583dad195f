// services/app-metrics.test.ts — reading app_metrics into the Metrics tab's series, on real PostgreSQL: the fixed
// axis, gaps, rates, quantiles interpolated in the latency buckets, usage per process type and deploy markers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LATENCY_BOUNDS } from '../core/latency-bounds.ts';
import { openTestSchema, insertBuild } from '../test/support/test-schema.ts';
import { axisOf, isMetricWindow, latencyQuantile, readAppMetrics } from './app-metrics.ts';

test('latency quantiles interpolate inside the bucket they fall in', () => {
  const counts = LATENCY_BOUNDS.map(() => 0);
  assert.equal(latencyQuantile(counts, 0.5), null, 'no requests, no latency');
  counts[4] = 100; // (10, 25] ms
  assert.equal(latencyQuantile(counts, 0.5), 17.5);
  assert.equal(latencyQuantile(counts, 0.95), 24.25);
  counts[0] = 100; // [0, 1] ms: half the requests
  assert.equal(latencyQuantile(counts, 0.5), 1);
  assert.equal(latencyQuantile(counts, 0.75), 17.5);
  assert.equal(latencyQuantile([0, 0, 10], 0.5), 3.5, '(2, 5] ms');
  assert.equal(latencyQuantile([10], 0.99, LATENCY_BOUNDS, 100), 30_000, 'requests over the last bound read as the last bound');
});

test('the axis is fixed: 360 buckets of 10 s for the hour, 1440 of 60 s for the day, aligned, ending in the current one', () => {
  const now = new Date('2026-01-02T03:04:05.678Z');
  const hour = axisOf('1h', now);
  assert.equal(hour.length, 360);
  assert.equal(hour.at(-1)!.toISOString(), '2026-01-02T03:04:00.000Z');
  assert.equal(hour[0]!.toISOString(), '2026-01-02T02:04:10.000Z');
  const day = axisOf('24h', now);
  assert.equal(day.length, 1440);
  assert.equal(day.at(-1)!.toISOString(), '2026-01-02T03:04:00.000Z');
  assert.deepEqual(['1h', '24h', '7d', 'constructor', '__proto__', 1].map(isMetricWindow), [true, true, false, false, false, false]);
});

test('rows become rates, quantiles, error shares and per-type usage at their place on the axis; missing buckets are gaps', async (t) => {
  const db = await openTestSchema(t, 'metrics');
  if (!db) return;
  const build = await insertBuild(db, 'demo', { status: 'succeeded' });
  const other = await insertBuild(db, 'other', { status: 'succeeded' });
  const appId = (await db('apps').where({ name: 'demo' }).first('id')).id;
  const otherId = (await db('apps').where({ name: 'other' }).first('id')).id;
  const now = new Date('2026-01-02T03:04:05Z');
  const at = (secondsAgo: number) => new Date(Math.floor(now.getTime() / 10_000) * 10_000 - secondsAgo * 1000);
  const counts = LATENCY_BOUNDS.map((b) => (b === 50 ? 40 : 0));
  await db('app_metrics').insert([
    { app_id: appId, type: '', resolution: 10, at: at(30), r2xx: 30, r4xx: 5, r5xx: 5, latency_counts: counts },
    { app_id: appId, type: '', resolution: 10, at: new Date(at(20).getTime() + 3), r2xx: 10 }, // a few ms late: same bucket
    { app_id: appId, type: 'web', resolution: 10, at: at(30), cpu_seconds: 2.5, memory_bytes: 1000, instances: 2, restarts: 1 },
    { app_id: appId, type: 'worker', resolution: 10, at: at(20), cpu_seconds: 10, memory_bytes: 500, instances: 1 },
    { app_id: appId, type: '', resolution: 10, at: at(3700), r2xx: 99 }, // before the hour
    { app_id: appId, type: '', resolution: 60, at: at(60), r2xx: 600 }, // the day's resolution
    { app_id: otherId, type: '', resolution: 10, at: at(30), r2xx: 77 }, // another app
  ]);
  await db('releases').insert([
    { app_id: appId, version: 1, build_id: build, config: '{}', description: 'Deploy', status: 'succeeded', finished_at: new Date(now.getTime() - 7200_000) },
    { app_id: appId, version: 2, build_id: build, config: '{}', description: 'Deploy', status: 'failed', finished_at: new Date(now.getTime() - 600_000) },
    { app_id: appId, version: 3, build_id: build, config: '{}', description: 'Deploy', status: 'deploying' }, // not finished
    { app_id: otherId, version: 1, build_id: other, config: '{}', description: 'Deploy', status: 'succeeded', finished_at: now },
  ]);
  const m = await readAppMetrics(db, appId, '1h', now);
  const i = m.times.findIndex((x) => x.getTime() === at(30).getTime());
  assert.equal(i, 356);
  assert.deepEqual([m.requests['2xx'][i], m.requests['4xx'][i], m.requests['5xx'][i], m.requests['2xx'][i + 1]], [3, 0.5, 0.5, 1]);
  assert.equal(m.requests['2xx'][i - 1], 0, 'no row: no requests');
  assert.deepEqual([m.p50Ms[i], m.p95Ms[i], m.p50Ms[i + 1], m.p50Ms[i - 1]], [37.5, 48.75, null, null]);
  assert.deepEqual([m.errorPercent[i], m.errorPercent[i + 1], m.errorPercent[i - 1]], [12.5, 0, null]);
  assert.deepEqual(m.processes.map((p) => p.type), ['web', 'worker']);
  const [web, worker] = m.processes;
  assert.deepEqual([web!.cpuCores[i], web!.memoryBytes[i], web!.restarts[i], web!.memoryBytes[i + 1], web!.restarts[i + 1]], [0.25, 1000, 1, null, null]);
  assert.deepEqual([worker!.cpuCores[i + 1], worker!.memoryBytes[i]], [1, null]);
  assert.deepEqual(m.deploys.map((d) => [d.version, d.status]), [[2, 'failed']]);
  assert.equal(m.requests['2xx'].reduce((a, b) => a! + b!, 0), 4, 'neither the older row, nor the 60 s one, nor the other app counts');
  assert.equal(m.empty, false);

  const day = await readAppMetrics(db, appId, '24h', now);
  assert.equal(day.resolution, 60);
  assert.deepEqual([day.requests['2xx'].at(-2), day.p50Ms.at(-2), day.requests['2xx'].reduce((a, b) => a! + b!, 0)], [10, null, 10]);
  assert.deepEqual(day.deploys.map((d) => d.version), [1, 2]);
  assert.equal((await readAppMetrics(db, otherId, '24h', new Date(now.getTime() + 7 * 86_400_000))).empty, true);
});

test('two rows in one bucket are summed, not the last kept; the bucket still being sampled has no counters but keeps memory', async (t) => {
  const db = await openTestSchema(t, 'metrics');
  if (!db) return;
  await insertBuild(db, 'demo', { status: 'succeeded' });
  const appId = (await db('apps').where({ name: 'demo' }).first('id')).id;
  const now = new Date('2026-01-02T03:04:05Z');
  const cur = new Date('2026-01-02T03:04:00Z'), prev = new Date('2026-01-02T03:03:50Z');
  const counts = LATENCY_BOUNDS.map((b) => (b === 50 ? 10 : 0));
  await db('app_metrics').insert([
    { app_id: appId, type: '', resolution: 10, at: prev, r2xx: 30, latency_counts: counts },
    { app_id: appId, type: '', resolution: 10, at: new Date(prev.getTime() + 4), r2xx: 20, r5xx: 10, latency_counts: counts },
    { app_id: appId, type: 'web', resolution: 10, at: prev, cpu_seconds: 1, memory_bytes: 100, restarts: 1 },
    { app_id: appId, type: 'web', resolution: 10, at: new Date(prev.getTime() + 4), cpu_seconds: 2, memory_bytes: 300, restarts: 1 },
    { app_id: appId, type: '', resolution: 10, at: cur, r2xx: 1 },
    { app_id: appId, type: 'web', resolution: 10, at: cur, cpu_seconds: 0.1, memory_bytes: 400 },
  ]);
  const m = await readAppMetrics(db, appId, '1h', now);
  const last = m.times.length - 1;
  assert.equal(m.times[last]!.getTime(), cur.getTime());
  assert.deepEqual([m.requests['2xx'][last - 1], m.requests['5xx'][last - 1], m.errorPercent[last - 1]], [5, 1, 100 / 6]);
  assert.equal(m.p50Ms[last - 1] !== null, true, 'latency counts of both rows');
  const [web] = m.processes;
  assert.deepEqual([web!.cpuCores[last - 1], web!.restarts[last - 1], web!.memoryBytes[last - 1]], [0.3, 2, 300], 'counters sum, memory is the later row');
  assert.deepEqual([m.requests['2xx'][last], m.traffic[last], web!.cpuCores[last], web!.restarts[last], web!.memoryBytes[last]], [null, false, null, null, 400]);
  assert.deepEqual([m.traffic[last - 1], m.traffic[last - 2]], [true, false]);
});
