// bench/router.ts — our router against nginx, side by side in one run: a no-dependency Node app (bench/router-app.cjs)
// loaded with Debian's wrk straight to its port, through Debian's nginx (1 worker, keep-alive upstream, started here
// with a generated config) and through our Router (in this process, `new Router(...)` as the platform makes it). The
// paths take turns, round after round, so the machine's drift hits all three alike; the table shows the medians.
// Target (issue 10): router >= 0.5x nginx's requests/s and router p99 <= 3x nginx's. Exit 0 whether met or not
// (PASS/FAIL is printed), 1 on an error, 2 when wrk or nginx is missing.
// Run: node --import tsx bench/router.ts [--seconds N] [--rounds N] [--connections N]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Router } from '../runtime/router.ts';
import { NGINX, probe, runWrk, startNginx, stopChild, WRK, type WrkResult } from './router-tools.ts';

const APP_JS = fileURLToPath(new URL('router-app.cjs', import.meta.url));
const HOST = 'bench.localhost';
const argValue = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  const value = i > 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a whole number >= 1`);
  return value;
};
const seconds = argValue('--seconds', 5);
const rounds = argValue('--rounds', 3);
const connections = argValue('--connections', 32);

const children = new Set<ChildProcess>();
const track = (child: ChildProcess): void => {
  children.add(child);
  child.once('exit', () => children.delete(child));
};
const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-bench-router-'));

/** Kills whatever is still running and removes the temp dir; safe to call twice and from the 'exit' handler. */
function cleanUp(): void {
  for (const child of children) child.kill('SIGTERM');
  fs.rmSync(tempDir, { recursive: true, force: true });
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping`);
    process.exit(130);
  });
}

/** Exits 2 with the install line when Debian's wrk or nginx is not there. */
function requireTools(): void {
  const missing = [WRK, NGINX].filter((file) => {
    try { fs.accessSync(file, fs.constants.X_OK); return false; } catch { return true; }
  });
  if (missing.length === 0) return;
  console.error(`missing: ${missing.join(', ')}. Install them with: apt-get install wrk nginx-light`);
  process.exit(2);
}

/** Starts the app on a port it picks itself (it prints it), so no other process can take it in between. */
async function startApp(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [APP_JS], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
      if (out.includes('\n')) resolve(Number(out.trim()));
    });
    child.once('exit', (code) => reject(new Error(`the bench app exited with ${code} before listening`)));
  });
  return { port, stop: () => stopChild(child, exited) };
}

interface Path { name: string; port: number }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmtMs = (ms: number): string => (ms < 1 ? `${(ms * 1000).toFixed(0)} us` : `${ms.toFixed(2)} ms`);

/** Prints one row per path (medians over rounds), the ratios and PASS/FAIL against the issue's target. */
function report(paths: Path[], results: Map<string, WrkResult[]>): void {
  const med = (name: string, key: 'rps' | 'p50Ms' | 'p99Ms') => median((results.get(name) ?? []).map((r) => r[key]));
  console.log(`\n${'path'.padEnd(8)} ${'req/s'.padStart(9)} ${'p50'.padStart(10)} ${'p99'.padStart(10)}  per round (req/s)        errors`);
  for (const { name } of paths) {
    const runs = results.get(name) ?? [];
    const errors = runs.reduce((n, r) => n + r.non2xx + r.socketErrors, 0);
    const perRound = runs.map((r) => r.rps.toFixed(0)).join(' / ');
    console.log(`${name.padEnd(8)} ${med(name, 'rps').toFixed(0).padStart(9)} ${fmtMs(med(name, 'p50Ms')).padStart(10)} ${fmtMs(med(name, 'p99Ms')).padStart(10)}  ${perRound.padEnd(24)} ${errors}`);
  }
  const rpsRatio = med('router', 'rps') / med('nginx', 'rps');
  const p99Ratio = med('router', 'p99Ms') / med('nginx', 'p99Ms');
  const routerErrors = (results.get('router') ?? []).reduce((n, r) => n + r.non2xx + r.socketErrors, 0);
  console.log(`\nrouter / direct req/s: ${(med('router', 'rps') / med('direct', 'rps')).toFixed(2)}x; nginx / direct: ${(med('nginx', 'rps') / med('direct', 'rps')).toFixed(2)}x`);
  console.log(`router / nginx req/s:  ${rpsRatio.toFixed(2)}x (target >= 0.5x)`);
  console.log(`router p99 / nginx p99: ${p99Ratio.toFixed(2)}x (target <= 3x)`);
  const pass = rpsRatio >= 0.5 && p99Ratio <= 3 && routerErrors === 0;
  console.log(pass ? 'PASS: the target holds' : `FAIL: the target does not hold${routerErrors ? ` (and the router had ${routerErrors} errors)` : ''}`);
}

async function main(): Promise<void> {
  requireTools();
  const app = await startApp();
  const nginx = await startNginx(tempDir, app.port, track);
  const router = new Router({ baseDomain: 'localhost' });
  const routerPort = await router.listen(0, '127.0.0.1');
  router.setRoute('bench', [app.port]);
  const paths: Path[] = [{ name: 'direct', port: app.port }, { name: 'nginx', port: nginx.port }, { name: 'router', port: routerPort }];
  try {
    for (const p of paths) {
      const reply = await probe(p.port, HOST);
      if (reply.status !== 200 || !reply.body.startsWith('hello')) throw new Error(`${p.name} answered ${reply.status}: ${reply.body}`);
    }
    console.log(`wrk -t1 -c${connections} -d${seconds}s, ${rounds} rounds of direct, nginx, router (after a 1 s warm-up each); ${os.cpus().length} CPUs, node ${process.version}`);
    for (const p of paths) await runWrk({ url: `http://127.0.0.1:${p.port}/`, host: HOST, seconds: 1, connections }, track);
    const results = new Map<string, WrkResult[]>(paths.map((p) => [p.name, []]));
    for (let round = 1; round <= rounds; round++) {
      for (const p of paths) {
        const r = await runWrk({ url: `http://127.0.0.1:${p.port}/`, host: HOST, seconds, connections }, track);
        results.get(p.name)!.push(r);
        console.log(`round ${round} ${p.name.padEnd(6)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${fmtMs(r.p50Ms)}  p99 ${fmtMs(r.p99Ms)}${r.non2xx + r.socketErrors ? `  errors ${r.non2xx + r.socketErrors}` : ''}`);
      }
    }
    report(paths, results);
  } finally {
    await router.close();
    await nginx.stop();
    await app.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
