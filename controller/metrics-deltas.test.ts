// Tests for controller/metrics-deltas.ts: traffic deltas across router resets, CPU deltas across instance restarts
// and vanished instances, restart counts, and the per-type sums the sampler writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AppCounters } from '../runtime/router/stats.ts';
import type { ProcessStatus } from '../runtime/types.ts';
import type { ProcessUsage } from '../runtime/usage.ts';
import { FORGET_AFTER_TICKS, cpuDeltas, hasTraffic, restartDeltas, toBucketCounts, trafficDelta, trafficDeltas, typeDeltas, typeKey, type RestartMemory, type UsageMemory } from './metrics-deltas.ts';

test('cumulative-by-bound latency counts become per-bucket counts', () => {
  assert.deepEqual(toBucketCounts([1, 1, 4, 4, 9]), [1, 0, 3, 0, 5]);
});

test('traffic since the previous reading: counters, per-bucket latency counts, bytes', () => {
  const c = new AppCounters();
  c.record(200, 3, 100, 1000);
  const prev = c.toTraffic();
  c.record(200, 3, 10, 20);
  c.record(503, 700, 1, 2);
  const d = trafficDelta(prev, c.toTraffic());
  assert.equal(d.r2xx, 1);
  assert.equal(d.r5xx, 1);
  assert.equal(d.latencyCounts.reduce((a, b) => a + b, 0), 2);
  assert.equal(d.latencyCounts[2], 1, '3 ms falls in (2, 5]');
  assert.equal(d.latencyCounts[9], 1, '700 ms falls in (500, 1000]');
  assert.equal(d.latencySumMs, 703);
  assert.deepEqual([d.bytesIn, d.bytesOut], [11, 22]);
  assert.ok(hasTraffic(d));
  assert.ok(!hasTraffic(trafficDelta(c.toTraffic(), c.toTraffic())), 'no change, no traffic');
});

test('a router whose counters went down restarted: the new counters are all new traffic', () => {
  const before = new AppCounters();
  for (let i = 0; i < 5; i++) before.record(200, 1, 10, 10);
  const after = new AppCounters();
  after.record(404, 1, 7, 8);
  const d = trafficDelta(before.toTraffic(), after.toTraffic());
  assert.deepEqual([d.r2xx, d.r4xx, d.bytesIn, d.bytesOut], [0, 1, 7, 8]);
  assert.ok(d.latencyCounts.every((n) => n >= 0));
});

test('an app new to the router counts from zero; apps it no longer reports are left out', () => {
  const a = new AppCounters();
  a.record(201, 1, 1, 1);
  const d = trafficDeltas({ apps: { old: a.toTraffic() }, unrouted: 0, openConnections: 0 }, { apps: { fresh: a.toTraffic() }, unrouted: 0, openConnections: 0 });
  assert.deepEqual([...d.keys()], ['fresh']);
  assert.equal(d.get('fresh')!.r2xx, 1);
});

const u = (index: number, cpuSeconds: number, instance = `p${index}`, memoryBytes = 1000, startedAt = 0): ProcessUsage =>
  ({ app: 'a', type: 'web', index, cpuSeconds, memoryBytes, instance, startedAt });

test('CPU: the first reading is the baseline; later ones count what each run used since', () => {
  const memory: UsageMemory = new Map();
  const first = [u(1, 500, 'p1')];
  assert.equal(cpuDeltas(memory, { tick: 0 }, first).get(first[0]!), 0, 'hours of CPU of an adopted instance are not this interval');
  const second = [u(1, 502.5, 'p1'), u(2, 0.75, 'p2', 1000, 10_500)];
  const d = cpuDeltas(memory, { tick: 1, previousAt: 10_000 }, second);
  assert.equal(d.get(second[0]!), 2.5);
  assert.equal(d.get(second[1]!), 0.75, 'a new instance started in the interval: all its CPU is new');
});

test('CPU: a restarted instance (new run id) started in the interval counts from zero', () => {
  const memory: UsageMemory = new Map();
  cpuDeltas(memory, { tick: 0 }, [u(1, 50, 'p1')]);
  const next = [u(1, 1.5, 'p9', 1000, 10_001)];
  assert.equal(cpuDeltas(memory, { tick: 1, previousAt: 10_000 }, next).get(next[0]!), 1.5);
});

test('CPU: a counter that went down under the same run (a shrinking tree) counts nothing and is the new baseline', () => {
  const memory: UsageMemory = new Map();
  cpuDeltas(memory, { tick: 0 }, [u(1, 3600, 'p1')]);
  const shrunk = [u(1, 3599, 'p1')];
  assert.equal(cpuDeltas(memory, { tick: 1, previousAt: 10_000 }, shrunk).get(shrunk[0]!), 0, 'not 3599 s of new CPU');
  const later = [u(1, 3600.5, 'p1')];
  assert.equal(cpuDeltas(memory, { tick: 2, previousAt: 20_000 }, later).get(later[0]!), 1.5, 'counted from the new baseline');
});

test('CPU: a run first seen after the first reading but started before the previous one is a baseline, not its lifetime', () => {
  const memory: UsageMemory = new Map();
  cpuDeltas(memory, { tick: 0 }, []);
  // Stats timed out for longer than the memory keeps a run, a container adopted late, or cgroup -> /proc.
  const late = [u(1, 7200, 'c1@yesterday', 1000, 5_000), u(1, 7100, 'p1@77:proc', 1000, 5_000)];
  const d = cpuDeltas(memory, { tick: 9, previousAt: 90_000 }, late);
  assert.deepEqual(late.map((x) => d.get(x)), [0, 0]);
  const next = [u(1, 7201, 'c1@yesterday')];
  assert.equal(cpuDeltas(memory, { tick: 10, previousAt: 100_000 }, next).get(next[0]!), 1);
});

test('CPU: a run missing from a reading (stats timed out) is not counted again when it is back; gone for long, it is forgotten', () => {
  const memory: UsageMemory = new Map();
  cpuDeltas(memory, { tick: 0 }, [u(1, 100, 'p1')]);
  cpuDeltas(memory, { tick: 1, previousAt: 10_000 }, []);
  const back = [u(1, 101, 'p1')];
  assert.equal(cpuDeltas(memory, { tick: 2, previousAt: 20_000 }, back).get(back[0]!), 1);
  for (let t = 3; t <= 3 + FORGET_AFTER_TICKS; t++) cpuDeltas(memory, { tick: t, previousAt: t * 10_000 }, []);
  assert.equal(memory.size, 0);
});

const s = (index: number, restarts: number, version = 1): ProcessStatus => ({ app: 'a', type: 'worker', index, version, state: 'up', restarts, since: new Date() });

test('restarts: the first reading is the baseline, then what is new per type; a new instance counts its own', () => {
  const memory: RestartMemory = new Map();
  assert.equal(restartDeltas(memory, 0, [s(1, 4)]).get(typeKey('a', 'worker')), 0);
  assert.equal(restartDeltas(memory, 1, [s(1, 6), s(2, 1)]).get(typeKey('a', 'worker')), 3);
  assert.equal(restartDeltas(memory, 2, [s(1, 6, 2)]).get(typeKey('a', 'worker')), 6, 'a new release: new instances');
  assert.equal(restartDeltas(memory, 3, [s(1, 6, 2)]).get(typeKey('a', 'worker')), 0);
});

test('restarts: an instance missing from one reading is not counted again when it is back; gone for long, it is forgotten', () => {
  const memory: RestartMemory = new Map();
  restartDeltas(memory, 0, [s(1, 4)]);
  restartDeltas(memory, 1, []);
  assert.equal(restartDeltas(memory, 2, [s(1, 5)]).get(typeKey('a', 'worker')), 1, 'one new restart, not all five');
  for (let t = 3; t <= 3 + FORGET_AFTER_TICKS; t++) restartDeltas(memory, t, []);
  assert.equal(memory.size, 0);
});

test('per type: CPU and memory summed over instances, instance count, restarts added', () => {
  const usage = [u(1, 10, 'x', 100), u(2, 20, 'y', 200), { ...u(1, 1, 'z', 50), type: 'worker' }];
  const cpu = new Map(usage.map((x, i) => [x, [0.5, 0.25, 1][i]!]));
  const d = typeDeltas(usage, cpu, new Map([[typeKey('a', 'worker'), 2], [typeKey('a', 'clock'), 1]]));
  assert.deepEqual(d.get(typeKey('a', 'web')), { cpuSeconds: 0.75, memoryBytes: 300, instances: 2, restarts: 0 });
  assert.deepEqual(d.get(typeKey('a', 'worker')), { cpuSeconds: 1, memoryBytes: 50, instances: 1, restarts: 2 });
  assert.deepEqual(d.get(typeKey('a', 'clock')), { cpuSeconds: 0, memoryBytes: 0, instances: 0, restarts: 1 }, 'crashed: restarts, no instances');
});
