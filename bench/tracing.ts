// bench/tracing.ts — the cost of tracing on a push: push-to-live of the same zero-dependency Node app on two platforms
// started side by side in this run, one exporting its spans over OTLP/HTTP to a loopback receiver, one with no
// endpoint (spans are not recorded). Pushes alternate between them, so drift on the machine hits both alike.
// The platform process's CPU time per push is printed too: steadier than wall time on a shared machine.
// Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/tracing.ts [runs]
import fs from 'node:fs';
import { createUser, fixtureRepo, getApp, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../test/support/platform.ts';
import { startOtlpReceiver } from '../test/support/otlp-receiver.ts';
import { stopPlatform } from '../test/support/push.ts';

const runs = Number(process.argv[2] ?? 7);

/** One push to a new app; its time until the app answers at its URL, in ms. */
async function pushToLive(p: Platform, user: TestUser, repo: string, app: string): Promise<number> {
  const created = await p.cli(['apps:create', app, '--owner', user.email]);
  if (created.code !== 0) throw new Error(`apps:create failed: ${created.stderr}`);
  const t0 = performance.now();
  const res = await git(repo, user.sshEnv, 'push', sshRemote(p, app), 'main');
  if (res.code !== 0 || (await getApp(p, app)).status !== 200) throw new Error(`push failed:\n${res.stderr}`);
  return performance.now() - t0;
}

/** The platform process of a data dir (its main.ts, found by PAAS_DATA_DIR in /proc/<pid>/environ). */
function platformPid(p: Platform): number {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (cmd.includes('main.ts') && env.includes(`PAAS_DATA_DIR=${p.dataDir}`)) return Number(entry);
    } catch { /* gone, or not ours */ }
  }
  throw new Error(`no platform process for ${p.dataDir}`);
}

/** CPU time (user + system) the process has used, in ms: the platform's own work, whatever else loads the machine. */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = tempDir('paas-bench-');
  const receiver = await startOtlpReceiver();
  // Neither inherits the caller's OTEL_* settings: on exports to the receiver, off has no endpoint at all.
  const off = await startPlatform({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' } });
  const on = await startPlatform({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' } });
  try {
    const users = { on: await createUser(on, 'bench@example.com', dir), off: await createUser(off, 'bench@example.com', dir) };
    const repo = await fixtureRepo('node', dir);
    const times = { on: [] as number[], off: [] as number[] };
    const cpu = { on: [] as number[], off: [] as number[] };
    const pids = { on: platformPid(on), off: platformPid(off) };
    // One warm-up push each (first-run caches), not counted.
    await pushToLive(off, users.off, repo, 'warm');
    await pushToLive(on, users.on, repo, 'warm');
    for (let i = 0; i < runs; i++) {
      // Alternate which goes first, so neither always follows the other.
      const order = i % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const mode of order) {
        const before = cpuMs(pids[mode]);
        times[mode].push(await pushToLive(mode === 'on' ? on : off, users[mode], repo, `bench${i}`));
        cpu[mode].push(cpuMs(pids[mode]) - before);
      }
    }
    const [mOn, mOff] = [median(times.on), median(times.off)];
    console.log(`runs: ${runs} pushes each, alternating (one warm-up push each not counted)`);
    console.log(`tracing off (no endpoint), push to live (median): ${mOff.toFixed(0)} ms   [${times.off.map((t) => t.toFixed(0)).join(', ')}]`);
    console.log(`tracing on (OTLP export),  push to live (median): ${mOn.toFixed(0)} ms   [${times.on.map((t) => t.toFixed(0)).join(', ')}]`);
    console.log(`ratio on/off: ${(mOn / mOff).toFixed(3)} (${(((mOn - mOff) / mOff) * 100).toFixed(1)}% difference)`);
    // Summed: /proc counts CPU in 10 ms ticks, too coarse for one push's figure.
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const [cOn, cOff] = [sum(cpu.on), sum(cpu.off)];
    console.log(`platform process CPU over the ${runs} pushes: off ${cOff.toFixed(0)} ms, on ${cOn.toFixed(0)} ms; ratio ${(cOn / cOff).toFixed(3)} (${(((cOn - cOff) / cOff) * 100).toFixed(1)}%, ${((cOn - cOff) / runs).toFixed(1)} ms per push)`);
    console.log(`spans exported by the traced platform: ${receiver.spans.length} in ${receiver.requests()} requests`);
  } finally {
    await stopPlatform(on);
    await stopPlatform(off, dir);
    await receiver.close();
  }
}

await main();
