// runtime/local/usage.test.ts — the local UsageSource against real supervised processes: a process tree that burns
// CPU in one process and holds memory in another, plain and in the real sandbox (its own cgroup), read from /proc.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { probeSandbox } from '../../core/isolation.ts';
import { makeSlug, makeTempDir, startHarness, toRelease, waitFor, type Harness } from '../../test/support/local-runtime.ts';
import { Jail } from './jail.ts';
import { instanceCgroup, parseProcStat, parseVmRss } from './proc-usage.ts';
import { LocalUsage } from './usage.ts';

const held = 48 * 1024 * 1024;
/** hold.js fills 48 MiB (every page touched) and keeps it; burn.js spins. The shell starts hold, then becomes burn. */
const files = {
  'hold.js': `const b = Buffer.alloc(${held}, 1); console.log('holding ' + b.length); setInterval(() => b[0]++, 1000);`,
  'burn.js': "console.log('burning'); let x = 0; const spin = () => { const end = Date.now() + 50; while (Date.now() < end) x++; setImmediate(spin); }; spin();",
};
const command = 'node hold.js & exec node burn.js';

/** Deploys the two-process worker and waits until both said they run. */
async function deployBurner(h: Harness, app: string, slug: string, uid?: number): Promise<void> {
  await h.runtime.deploy({ ...toRelease(app, slug, 1, [{ type: 'worker', command, quantity: 1 }]), uid }, () => {});
  await waitFor('hold.js and burn.js running', () => ['holding', 'burning'].every((w) => h.logs.some((l) => l.app === app && l.line.startsWith(w))));
}

/** Reads twice, the second time once the CPU counter grew by half a second; checks both readings. */
async function checkGrowth(t: TestContext, usage: LocalUsage, app: string): Promise<void> {
  const [first] = await usage.usage([app]);
  assert.ok(first, 'one reading for worker.1');
  assert.deepEqual([first.app, first.type, first.index], [app, 'worker', 1]);
  const later = await waitFor('CPU seconds to grow by 0.5', async () => {
    const [u] = await usage.usage([app]);
    return u && u.cpuSeconds >= first.cpuSeconds + 0.5 ? u : undefined;
  }, 20_000);
  assert.equal(later.instance, first.instance, 'the same run');
  assert.ok(later.memoryBytes > held, `RSS ${later.memoryBytes} above the ${held} bytes hold.js filled`);
  t.diagnostic(`cpu ${first.cpuSeconds} -> ${later.cpuSeconds} s, memory ${later.memoryBytes} bytes`);
  assert.deepEqual(await usage.usage(['other']), [], 'apps not asked for are not read');
}

test('/proc/<pid>/stat and status are parsed with spaces and parentheses in the command name', () => {
  // A process may name itself (prctl, `exec -a`) like the fields that follow, to forge its parent or its CPU.
  const stat = '4242 (x) R 99 9 9 9) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 1 0 98765 1000 200 18446744073709551615';
  assert.deepEqual(parseProcStat(4242, stat), { pid: 4242, ppid: 1, startTicks: 98765, cpuTicks: 210 });
  assert.equal(parseVmRss('Name:\tx\nVmRSS:\t  2048 kB\nThreads: 1\n'), 2048 * 1024);
  assert.equal(parseVmRss('Name:\tkthreadd\n'), 0);
});

test('a local process tree: CPU seconds grow while it spins, RSS is above what it filled, summed over the tree', async (t) => {
  const h = await startHarness(t);
  await deployBurner(h, 'burner', await makeSlug(t, files));
  const usage = new LocalUsage(h.runtime);
  await checkGrowth(t, usage, 'burner');
  // The spinning process alone holds far less than hold.js's buffer: the reading counts the whole tree.
  const main = parseVmRss(fs.readFileSync(`/proc/${h.runtime.status('burner')[0]!.pid}/status`, 'utf8'));
  const [now] = await usage.usage(['burner']);
  assert.ok(now!.memoryBytes >= main + held, `${now!.memoryBytes} >= ${main} (burn.js) + ${held} (hold.js)`);
  // Restarted: a new run, whose counter began again.
  const before = (await usage.usage(['burner']))[0]!;
  await h.runtime.restart('burner', 'worker');
  await waitFor('the restarted run', async () => (await usage.usage(['burner']))[0]?.instance !== before.instance);
});

test('a vanished process is left out of the reading, not an error', async (t) => {
  const h = await startHarness(t);
  await deployBurner(h, 'gone', await makeSlug(t, files));
  const pid = h.runtime.status('gone')[0]!.pid!;
  // A status that names a pid nobody runs (the process ended between status and reading).
  const usage = new LocalUsage({ status: () => [{ ...h.runtime.status('gone')[0]!, pid: 2 ** 22 + 1 }, ...h.runtime.status('gone')] });
  const read = await usage.usage(['gone']);
  assert.equal(read.length, 1);
  assert.ok(read[0]!.instance.startsWith(`${pid}@`));
});

test("a crashed instance's pid, or a pid whose start time is not the one recorded at spawn (reused), is not read", async (t) => {
  const h = await startHarness(t);
  await deployBurner(h, 'reuse', await makeSlug(t, files));
  const live = h.runtime.status('reuse')[0]!;
  const [own] = await new LocalUsage(h.runtime).usage(['reuse']);
  assert.ok(own && live.startTicks !== undefined, 'the live instance is read; its start time was recorded at spawn');
  assert.match(own.instance, new RegExp(`^${live.pid}@${live.startTicks}:(proc|cgroup)$`));
  assert.ok(Math.abs(own.startedAt - Date.now()) < 60_000, `started ${own.startedAt}, about now`);
  // The same live process seen through a crashed status, or through a record of another run of its pid.
  const crashed = new LocalUsage({ status: () => [{ ...live, state: 'crashed' }] });
  assert.deepEqual(await crashed.usage(['reuse']), [], 'crashed: its pid may be anyone\'s by now');
  const reused = new LocalUsage({ status: () => [{ ...live, startTicks: live.startTicks! - 1 }] });
  assert.deepEqual(await reused.usage(['reuse']), [], 'the pid now names a process started later');
});

const skip = process.getuid?.() !== 0 ? 'needs root (per-app uids)' : probeSandbox() ?? false;

test('a sandboxed process tree (its own cgroup, another uid): memory from the cgroup, CPU growing', { skip }, async (t) => {
  const dataDir = path.join(await makeTempDir(t, 'usage'), 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  const { jail } = Jail.forHost('sandbox', { memoryMb: 256, pids: 64, nofile: 256 }, process.env.PATH ?? '/usr/bin:/bin', dataDir);
  const h = await startHarness(t, { jail });
  const slug = path.join(dataDir, 'apps', 'boxed', 'slugs', '1');
  fs.mkdirSync(slug, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(slug, name), text);
  await jail.own(slug, 200_911);
  await deployBurner(h, 'boxed', slug, 200_911);
  const pid = h.runtime.status('boxed')[0]!.pid!;
  const cg = await instanceCgroup(pid, 'boxed.worker.1');
  assert.ok(cg, `worker.1 (pid ${pid}) is in a cgroup of its own: ${fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8')}`);
  t.diagnostic(`cgroup ${cg.kind} ${cg.dir}`);
  await checkGrowth(t, new LocalUsage(h.runtime), 'boxed');
});

test('with a cgroup of its own but no CPU in it (v1), CPU is summed over cgroup.procs, memory is the cgroup\'s', async (t) => {
  // A made-up /proc and cgroup v1 tree: pid 101 left pid 100's tree (double-forked to PID 1) but not its cgroup.
  const root = await makeTempDir(t, 'fakeproc');
  const put = (file: string, text: string) => { fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true }); fs.writeFileSync(path.join(root, file), text); };
  const stat = (pid: number, ppid: number, start: number, utime: number) => `${pid} (x) S ${ppid} 1 1 0 -1 0 0 0 0 0 ${utime} 0 0 0 20 0 1 0 ${start} 0 0`;
  put('proc/uptime', '1000.00 500.00\n');
  put('proc/100/stat', stat(100, 1, 5000, 150));
  put('proc/100/cgroup', '4:memory:/paas/app.worker.1.abc\n');
  put('proc/101/stat', stat(101, 1, 5100, 50));
  const cg = 'cg/memory/paas/app.worker.1.abc';
  put(`${cg}/memory.usage_in_bytes`, '5000000\n');
  put(`${cg}/memory.stat`, 'cache 2000000\ntotal_inactive_file 1000000\n');
  put(`${cg}/cgroup.procs`, '100\n101\n');
  const status = { app: 'app', type: 'worker', index: 1, version: 1, pid: 100, startTicks: 5000, state: 'up' as const, restarts: 0, since: new Date() };
  const before = Date.now();
  const [u] = await new LocalUsage({ status: () => [status] }, { proc: path.join(root, 'proc'), cgroupRoot: path.join(root, 'cg') }).usage(['app']);
  assert.deepEqual([u?.cpuSeconds, u?.memoryBytes, u?.instance], [2, 4_000_000, '100@5000:proc']);
  const expected = before - (1000 - 50) * 1000;
  assert.ok(Math.abs(u!.startedAt - expected) < 1000, `started ${u!.startedAt}, about ${expected}: boot time plus its start ticks`);
});
