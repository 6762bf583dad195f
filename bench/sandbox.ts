// bench/sandbox.ts — what the per-app sandbox adds to a process start: spawns a trivial command (`echo ready`) many
// times, directly and in the sandbox (runtime/local/jail.ts, with its limits and cgroups), interleaved in one run, and
// times spawn to first output. Prints p50/p95 of each, the ratio and the added ms (target: <= 50 ms added at p50).
// Run (as root for per-app uids and cgroups): node --import tsx bench/sandbox.ts [--runs N]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Jail } from '../runtime/local/jail.ts';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 100;
const uid = 299_999;

/** Milliseconds from spawn to the first byte of output (or exit). */
function timeStart(jail: Jail, dir: string): Promise<number> {
  const launch = jail.plan({ app: 'bench', name: 'web.1', uid, dir, argv: ['/bin/sh', '-c', 'echo ready'], env: { PATH: '/usr/bin:/bin' } });
  const t0 = process.hrtime.bigint();
  const child = spawn(launch.file, launch.args, launch.options);
  launch.started();
  return new Promise((resolve, reject) => {
    let at: bigint | undefined;
    const mark = () => { at ??= process.hrtime.bigint(); };
    child.stdout?.once('data', mark);
    child.on('error', reject);
    child.on('close', (code) => {
      mark();
      launch.finish();
      if (code !== 0) reject(new Error(`exit ${code}`));
      else resolve(Number((at as bigint) - t0) / 1e6);
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-bench-sandbox-'));
  const dataDir = path.join(root, 'data');
  const dir = path.join(dataDir, 'apps', 'bench', 'slugs', '1');
  fs.mkdirSync(dir, { recursive: true });
  const limits = { memoryMb: 512, pids: 256, nofile: 4096 };
  const { jail: sandbox, notes } = Jail.forHost('sandbox', limits, process.env.PATH ?? '/usr/bin:/bin', dataDir);
  await sandbox.own(dir, uid);
  const plain = Jail.plain();
  const times = { plain: [] as number[], sandbox: [] as number[] };
  try {
    for (let i = 0; i < runs; i++) {
      times.plain.push(await timeStart(plain, dir));
      times.sandbox.push(await timeStart(sandbox, dir));
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const row = (name: string, xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return { name, p50: percentile(s, 50), p95: percentile(s, 95) };
  };
  const a = row('direct', times.plain);
  const b = row('sandbox', times.sandbox);
  console.log(`process start, spawn to first output of \`echo ready\`, ${runs} runs each, interleaved (${os.cpus().length} CPUs)`);
  for (const note of notes) console.log(`  ${note}`);
  console.log('            p50 ms   p95 ms');
  for (const r of [a, b]) console.log(`  ${r.name.padEnd(8)} ${r.p50.toFixed(1).padStart(7)}  ${r.p95.toFixed(1).padStart(7)}`);
  console.log(`  sandbox/direct at p50: ${(b.p50 / a.p50).toFixed(1)}x; added: ${(b.p50 - a.p50).toFixed(1)} ms at p50, ${(b.p95 - a.p95).toFixed(1)} ms at p95 (target <= 50 ms at p50)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
