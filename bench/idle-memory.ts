// bench/idle-memory.ts — the idle platform's memory: starts it with no apps (fresh data dir, ports 0, the embedded
// PostgreSQL unless --database-url), waits until /readyz answers and the process settles, and prints the PSS of its
// whole process tree (node, the embedded PostgreSQL's processes, tsx's esbuild service if any). The same figure is
// measured for the previous layout (commit 81ef0f4, run as its `npm start` did) and printed beside it.
// Run: node --import tsx bench/idle-memory.ts [--settle-ms N] [--database-url URL]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PREVIOUS = '81ef0f4';
const argValue = (name: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const settleMs = Number(argValue('--settle-ms') ?? 10_000);
const databaseUrl = argValue('--database-url');

interface Layout { name: string; cwd: string; args: string[] }
interface Sample { pid: number; comm: string; pssKb: number; ussKb: number }

/** The pids of a process and all its descendants (processes, not threads), from /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const out = [pid];
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const children = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    for (const child of children ? children.split(/\s+/).map(Number) : []) out.push(...processTree(child));
  }
  return out;
}

/**
 * PSS (and USS, the pages no other process maps) of each process in the tree, in kB, from /proc/<pid>/smaps_rollup.
 * PSS splits shared pages (node's own binary, libc) among every process mapping them, so it shifts a little with what
 * else runs on the machine; USS does not. Processes that exited meanwhile are left out.
 */
function treePss(root: number): Sample[] {
  return processTree(root).flatMap((pid) => {
    try {
      const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(rollup)?.[1] ?? NaN);
      const ussKb = kb('Private_Clean') + kb('Private_Dirty');
      return [{ pid, comm: fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim(), pssKb: kb('Pss'), ussKb }];
    } catch { return []; }
  });
}

/** Resolves with the HTTP port once the banner is printed; rejects if the process exits first. */
function waitForBanner(child: ChildProcess, output: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const port = /HTTP \(API, git\):\s+http:\/\/localhost:(\d+)/.exec(output())?.[1];
      if (port && /Data dir:/.test(output())) resolve(Number(port));
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`the platform exited with ${code} before it was ready:\n${output()}`)));
  });
}

/** Polls /readyz (the database and the bus answer) until it says 200. */
async function waitReady(port: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('/readyz did not answer 200 within 60 s');
}

/** Stops the platform as an operator would (SIGTERM: it stops the embedded PostgreSQL), then anything left in its group. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
  try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* the group is already gone */ }
}

/** Starts one layout with no apps, waits until it is ready and has settled, and returns its tree's PSS. */
async function measure(layout: Layout): Promise<Sample[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-idle-'));
  const { DATABASE_URL: _db, NATS_URL: _nats, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = {
    ...inherited, PAAS_DATA_DIR: dataDir, PAAS_HTTP_PORT: '0', PAAS_SSH_PORT: '0', PAAS_ROUTER_PORT: '0',
    PAAS_HOST: '127.0.0.1', PAAS_LOG_LEVEL: 'warn', ...(databaseUrl ? { DATABASE_URL: databaseUrl, PAAS_DB_SCHEMA: `idle_${process.pid}_${Date.now()}` } : {}),
  };
  const child = spawn(process.execPath, layout.args, { cwd: layout.cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  try {
    await waitReady(await waitForBanner(child, () => out));
    await new Promise((r) => setTimeout(r, settleMs));
    return treePss(child.pid!);
  } finally {
    await stop(child);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const mb = (kb: number) => kb / 1024;
const total = (samples: Sample[], key: 'pssKb' | 'ussKb' = 'pssKb') => samples.reduce((sum, s) => sum + s[key], 0);

/** One line per layout: the total and its split by process name (node, postgres, esbuild). */
function report(name: string, samples: Sample[]): void {
  const byComm = new Map<string, { kb: number; n: number }>();
  for (const s of samples) {
    const e = byComm.get(s.comm) ?? { kb: 0, n: 0 };
    byComm.set(s.comm, { kb: e.kb + s.pssKb, n: e.n + 1 });
  }
  const parts = [...byComm].map(([comm, e]) => `${comm}${e.n > 1 ? ` ×${e.n}` : ''} ${mb(e.kb).toFixed(1)}`).join(', ');
  console.log(`${name.padEnd(52)} ${mb(total(samples)).toFixed(1).padStart(6)} MB PSS  (${parts}; USS ${mb(total(samples, 'ussKb')).toFixed(1)})`);
}

/** The previous layout's tree, extracted from git (no worktree metadata), using this checkout's node_modules. */
function extractPrevious(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-previous-'));
  const archive = spawnSync('git', ['archive', '--format=tar', PREVIOUS], { cwd: ROOT, maxBuffer: 1 << 30 });
  if (archive.status !== 0) throw new Error(`git archive ${PREVIOUS} failed: ${archive.stderr}`);
  const untar = spawnSync('tar', ['-x', '-C', dir], { input: archive.stdout });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(dir, 'node_modules'));
  return dir;
}

async function main(): Promise<void> {
  const build = spawnSync(process.execPath, [path.join(ROOT, 'scripts/build.js')], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const previous = extractPrevious();
  try {
    const layouts: Layout[] = [
      { name: `previous (${PREVIOUS}, node --import tsx main.ts)`, cwd: previous, args: ['--import', 'tsx', 'main.ts'] },
      { name: 'this one, compiled (node dist/main.js)', cwd: ROOT, args: ['dist/main.js'] },
      { name: 'this one, through tsx (node --import tsx main.ts)', cwd: ROOT, args: ['--import', 'tsx', 'main.ts'] },
    ];
    console.log(`idle platform, no apps, ${databaseUrl ? 'DATABASE_URL' : 'embedded PostgreSQL'}, settled ${settleMs} ms after /readyz`);
    const results: Sample[][] = [];
    for (const layout of layouts) {
      results.push(await measure(layout));
      report(layout.name, results.at(-1)!);
    }
    const [before, after] = results.map((r) => total(r)) as [number, number];
    console.log(`compiled / previous: ${(after / before).toFixed(2)}  (target: at most 150 MB; ${mb(after) <= 150 ? 'met' : 'NOT met'})`);
  } finally {
    fs.rmSync(previous, { recursive: true, force: true });
  }
}

await main();
