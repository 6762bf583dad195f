// controller/app-metrics.test.ts — the per-app collectors: the router's counters exported faithfully (its own
// buckets, in seconds), only apps that exist, usage summed per app and type, stacks bounded to the builders' list.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricsText } from '../core/metrics/registry.ts';
import { TrafficStats } from '../runtime/router/stats.ts';
import { UsageBoard } from '../runtime/usage.ts';
import { attachAppMetrics, routerSamples, stackLabel, usageSamples } from './app-metrics.ts';

test('routerSamples keeps the router\'s buckets (ms to s), sum and count, and only apps that exist', () => {
  const stats = new TrafficStats();
  stats.of('web').record(200, 3, 100, 1000);
  stats.of('web').record(502, 40_000, 5, 7);
  stats.of('gone').record(200, 1, 1, 1);
  stats.unrouted = 9;
  const s = routerSamples(stats.snapshot(4), new Set(['web']));
  const buckets = s.latency.filter((x) => x.suffix === '_bucket').map((x) => [x.labels!.le, x.value]);
  assert.deepEqual(buckets, [
    ['0.001', 0], ['0.002', 0], ['0.005', 1], ['0.01', 1], ['0.025', 1], ['0.05', 1], ['0.1', 1], ['0.25', 1], ['0.5', 1],
    ['1', 1], ['2.5', 1], ['5', 1], ['10', 1], ['30', 1], ['+Inf', 2],
  ]);
  assert.deepEqual(s.latency.filter((x) => x.suffix !== '_bucket').map((x) => [x.suffix, x.value]), [['_sum', 40.003], ['_count', 2]]);
  assert.deepEqual(s.requests.map((x) => `${x.labels!.class}=${x.value}`), ['1xx=0', '2xx=1', '3xx=0', '4xx=0', '5xx=1']);
  assert.deepEqual(s.bytes.map((x) => `${x.labels!.direction}=${x.value}`), ['in=105', 'out=1007']);
  assert.ok([...s.requests, ...s.bytes, ...s.latency].every((x) => x.labels!.app === 'web'));
  assert.deepEqual(s.unrouted, [{ value: 9 }]);
  assert.deepEqual(s.open, [{ value: 4 }]);
});

test('usageSamples sums instances per app and type, and leaves out apps that do not exist', () => {
  const board = new UsageBoard();
  board.set([
    { app: 'a', type: 'web', index: 1, cpuSeconds: 1.5, memoryBytes: 100, instance: 'i1', startedAt: 0 },
    { app: 'a', type: 'web', index: 2, cpuSeconds: 2, memoryBytes: 50, instance: 'i2', startedAt: 0 },
    { app: 'a', type: 'worker', index: 1, cpuSeconds: 0.25, memoryBytes: 10, instance: 'i3', startedAt: 0 },
    { app: 'ghost', type: 'web', index: 1, cpuSeconds: 9, memoryBytes: 9, instance: 'i4', startedAt: 0 },
  ]);
  const u = usageSamples(board, new Set(['a']));
  assert.deepEqual(u.cpu, [{ labels: { app: 'a', type: 'web' }, value: 3.5 }, { labels: { app: 'a', type: 'worker' }, value: 0.25 }]);
  assert.deepEqual(u.memory.map((x) => x.value), [150, 10]);
  assert.deepEqual(u.instances.map((x) => x.value), [2, 1]);
});

test('paas_app_cpu_seconds_total never goes down when one of two instances restarts, is replaced or goes; a re-created app starts from 0', async (t) => {
  const usage = new UsageBoard();
  const apps = new Set(['a']);
  t.after(attachAppMetrics({ apps: async () => apps, usage }));
  const cpu = async () => Number(/^paas_app_cpu_seconds_total\{app="a",type="web"\} (\S+)$/m.exec((await metricsText()).body)?.[1]);
  const web = (index: number, instance: string, cpuSeconds: number) => ({ app: 'a', type: 'web', index, instance, cpuSeconds, memoryBytes: 1, startedAt: 0 });
  const readings: Array<[string, ReturnType<typeof web>[], number]> = [
    ['two instances', [web(1, 'p1', 10), web(2, 'p2', 20)], 30],
    ['both ran on', [web(1, 'p1', 12), web(2, 'p2', 25)], 37],
    ['web.1 restarted: its new run starts again from 0.5', [web(1, 'p3', 0.5), web(2, 'p2', 26)], 38.5],
    ['web.1 ran on', [web(1, 'p3', 2), web(2, 'p2', 26)], 40],
    ['scaled down: web.2 gone, what it used stays counted', [web(1, 'p3', 3)], 41],
    ['a sampling quirk reads web.1 lower, then back', [web(1, 'p3', 2.5)], 41],
    ['web.1 back above its best reading', [web(1, 'p3', 4)], 42],
  ];
  let last = 0;
  for (const [what, reading, expected] of readings) {
    usage.set(reading);
    const now = await cpu();
    assert.equal(now, expected, what);
    assert.ok(now >= last, `${what}: ${now} < ${last}`);
    last = now;
  }
  usage.set([web(1, 'p3', 4), { ...web(1, 'w1', 5), type: 'worker' }]);
  assert.match((await metricsText()).body, /^paas_app_cpu_seconds_total\{app="a",type="worker"\} 5$/m);
  usage.set([web(1, 'p3', 4)]);
  assert.doesNotMatch((await metricsText()).body, /type="worker"/, 'a type that no longer runs ends its series (type stays bounded)');
  apps.delete('a');
  assert.ok(Number.isNaN(await cpu()), 'a destroyed app has no series');
  apps.add('a');
  usage.set([web(1, 'p9', 1)]);
  assert.equal(await cpu(), 1, 'the re-created app does not inherit the old total');
});

test('stackLabel is a builders\' stack or other', () => {
  assert.equal(stackLabel('node'), 'node');
  assert.equal(stackLabel('dockerfile'), 'dockerfile');
  assert.equal(stackLabel('cobol'), 'other');
  assert.equal(stackLabel(null), 'other');
});

test('an attached usage board is scraped as paas_app_cpu_seconds_total and paas_app_memory_bytes, and detached', async () => {
  const usage = new UsageBoard();
  usage.set([{ app: 'a', type: 'web', index: 1, cpuSeconds: 4, memoryBytes: 2048, instance: 'i5', startedAt: 0 }]);
  const detach = attachAppMetrics({ apps: async () => new Set(['a']), usage });
  const body = (await metricsText()).body;
  assert.match(body, /^paas_app_cpu_seconds_total\{app="a",type="web"\} 4$/m);
  assert.match(body, /^paas_app_memory_bytes\{app="a",type="web"\} 2048$/m);
  assert.match(body, /^paas_app_instances\{app="a",type="web"\} 1$/m);
  detach();
  assert.doesNotMatch((await metricsText()).body, /paas_app_memory_bytes\{/);
});
