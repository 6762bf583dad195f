// runtime/docker/usage.test.ts — Docker mode's UsageSource against the real Engine: a process container that spins
// and holds memory, read through the stats API; other platforms' containers are never read; the figures' arithmetic.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { requireDocker } from '../../test/support/docker.ts';
import { docker, dockerPlatform, makeBusyboxImage, spec } from '../../test/support/docker-runtime.ts';
import { waitFor } from '../../test/support/wait.ts';
import { DockerUsage, toUsageFigures } from './usage.ts';

let base = '';
const cleanups: Array<() => unknown> = [];
before(async () => { base = await makeBusyboxImage((fn) => cleanups.push(fn)); });
after(async () => { for (const fn of cleanups.reverse()) await fn(); });

const held = 16_000_000;
/** The shell keeps a 16 MB string, then spins. */
const burner = `x=$(head -c ${held} /dev/zero | tr "\\\\0" a); echo "holding \${#x}"; while :; do :; done`;

test('figures: CPU ns to seconds, memory less the inactive page cache (v2, v1, old v1)', () => {
  assert.deepEqual(toUsageFigures({ cpu_stats: { cpu_usage: { total_usage: 2_500_000_000 } }, memory_stats: { usage: 1000, stats: { inactive_file: 300 } } }), { cpuSeconds: 2.5, memoryBytes: 700 });
  assert.equal(toUsageFigures({ memory_stats: { usage: 1000, stats: { total_inactive_file: 100, cache: 400 } } }).memoryBytes, 900);
  assert.equal(toUsageFigures({ memory_stats: { usage: 1000, stats: { cache: 400 } } }).memoryBytes, 600);
  assert.deepEqual(toUsageFigures({}), { cpuSeconds: 0, memoryBytes: 0 }, 'a container that stopped meanwhile reports nothing');
});

test("a process container's CPU grows and its memory is above what it holds; other platforms' readers never see it", async (t) => {
  await requireDocker(t);
  const p = await dockerPlatform(t, base);
  await p.runtime.deploy(spec('spin', 1, await p.image('spin', 1), { worker: [burner, 1] }), () => {});
  const usage = new DockerUsage(docker, p.platform, { timeoutMs: 10_000 });
  const first = await waitFor(async () => (await usage.usage(['spin']))[0], 20_000, 'a reading of worker.1');
  assert.deepEqual([first.app, first.type, first.index], ['spin', 'worker', 1]);
  const id = (await p.runtime.status('spin'))[0]!.name!;
  const info = await docker.getContainer(id).inspect();
  assert.equal(first.instance, `${info.Id}@${info.State.StartedAt}`, 'the run is the container and its start: a restart in place is a new run');
  assert.equal(first.startedAt, Date.parse(info.State.StartedAt));
  const later = await waitFor(async () => {
    const [u] = await usage.usage(['spin']);
    return u && u.cpuSeconds >= first.cpuSeconds + 0.5 && u.memoryBytes > held ? u : undefined;
  }, 30_000, 'CPU +0.5 s and memory above 16 MB');
  t.diagnostic(`cpu ${first.cpuSeconds} -> ${later.cpuSeconds} s, memory ${later.memoryBytes} bytes`);
  assert.deepEqual(await usage.usage(['other']), [], 'apps not asked for are not read');
  // Stats that cannot answer in time: left out, and one warning for the reading, with the count.
  const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
  const log = { warn: (fields: Record<string, unknown>, msg: string) => { warnings.push({ fields, msg }); } };
  assert.deepEqual(await new DockerUsage(docker, p.platform, { timeoutMs: 1, log: log as never }).usage(['spin']), []);
  assert.deepEqual(warnings.map((w) => [w.fields.timeout, w.fields.of, w.msg]), [[1, 1, 'docker stats: 1 of 1 containers not read']]);
  const q = await dockerPlatform(t, base);
  assert.deepEqual(await new DockerUsage(docker, q.platform).usage(['spin']), [], 'another platform on the same Engine');
});

test('a container the Engine restarted in place (on-failure) is a new run: same container id, new start', async (t) => {
  await requireDocker(t);
  const p = await dockerPlatform(t, base);
  await p.runtime.deploy(spec('flaky', 1, await p.image('flaky', 1), { worker: ['sleep 2; exit 1', 1] }), () => {});
  const usage = new DockerUsage(docker, p.platform, { timeoutMs: 10_000 });
  const first = await waitFor(async () => (await usage.usage(['flaky']))[0], 20_000, 'a reading of worker.1');
  const [id] = first.instance.split('@');
  const again = await waitFor(async () => {
    const [u] = await usage.usage(['flaky']);
    return u && u.instance !== first.instance ? u : undefined;
  }, 30_000, 'a reading of the restarted run');
  assert.equal(again.instance.split('@')[0], id, 'the same container');
  assert.ok(again.startedAt > first.startedAt, `started again: ${first.instance} -> ${again.instance}`);
});
