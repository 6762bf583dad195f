// bench/push-to-live-kubernetes.ts — push-to-live of a Node app with real dependencies, first push and a repeat that
// changes only app code, in Kubernetes mode on the test cluster (builder Job, Kaniko with its layer cache in the
// registry, rollout) and in the embedded mode, side by side in one run. The issue's target: in Kubernetes mode,
// repeat ≤ 50% of first.
// The app is test/fixtures/apps/node-deps (a local package, a postinstall that does real work) plus real packages,
// tens of MB unpacked like a real app's node_modules: at start the bench `npm pack`s packages installed on the host
// (typescript, lodash, …; none has dependencies of its own) and serves the tarballs from an HTTP server of its own on
// the docker0 address, which build pods reach (pods cannot reach the npm registry); the app's package.json names them
// by URL and its lock is generated on the host against that server. So `RUN npm ci` downloads and extracts a real
// node_modules on the first build, as with the npm registry, and Kaniko takes its layer from the cache on the repeat.
// Nothing of it is committed: the tarballs live in the bench's temp dir.
// The Kubernetes pushes are split into phases from the time each push line arrived: the builder (pod start, source
// fetch, Dockerfile), Kaniko (its container start, base image, steps, push), and the release (apply and rollout).
// Needs the test cluster: eval "$(scripts/test-cluster.sh env)".
// Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/push-to-live-kubernetes.ts [rounds]
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import http from 'node:http';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { getService, startKubePlatform } from '../test/support/kube-platform.ts';
import { createUser, getApp, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../test/support/platform.ts';
import { commitAll, livePush, stopPlatform, type TimedLine } from '../test/support/push.ts';

const rounds = Number(process.argv[2] ?? 1);

interface Timed { total: number; phases?: Record<string, number> }

/** Polls until `answers` says the app serves the pushed code; returns when (ms since t0). */
async function until(answers: () => Promise<boolean>, t0: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if (await answers()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error('the app did not answer in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pushes main and waits until `answers`; with `phases`, splits the time by the push's lines. */
async function pushToLive(repo: string, user: TestUser, remote: string, answers: () => Promise<boolean>, phases: boolean, cachedInstall?: boolean): Promise<Timed> {
  const t0 = performance.now();
  const push = livePush(repo, user.sshEnv, 'push', remote, 'main');
  const r = await push.done;
  if (r.code !== 0) throw new Error(`push failed:\n${r.stderr}`);
  const total = await until(answers, t0);
  if (!phases) return { total };
  const at = (match: RegExp): number => push.lines.find((l: TimedLine) => match.test(l.line))?.at ?? NaN;
  // The repeat must have taken the install from Kaniko's cache, or the figures measure something else.
  if (cachedInstall !== undefined && push.lines.some((l) => /Using caching version of cmd: RUN npm ci/.test(l.line)) !== cachedInstall) {
    throw new Error(`the ${cachedInstall ? 'repeat did not take' : 'first push took'} RUN npm ci from the cache:\n${r.stderr}`);
  }
  const builder = at(/-----> Building the image with Kaniko/);
  const kanikoFirst = at(/^remote: {8}INFO\[/);
  const pushed = at(/^remote: {8}Pushed /);
  return {
    total,
    phases: {
      'push → builder done (pod start, fetch, Dockerfile)': builder,
      'Kaniko container start': kanikoFirst - builder,
      'Kaniko build and push': pushed - kanikoFirst,
      'release: apply, rollout, Service answering': total - pushed,
    },
  };
}

/** Real packages the app depends on, packed from the host's node_modules; none has dependencies of its own. */
const PACKAGES = ['typescript', 'lodash', '@opentelemetry/semantic-conventions', '@opentelemetry/api', 'yaml', 'node-forge'];
const HOST_MODULES = path.resolve(import.meta.dirname, '../node_modules');

/**
 * Packs PACKAGES into `dir`/tarballs and serves them on the docker0 address (pods and the host both reach it);
 * returns the app directory (the node-deps fixture, its package.json naming the packages by URL, its lock
 * generated against the server) and the server to close.
 */
async function appWithDependencies(dir: string, host: string): Promise<{ app: string; server: http.Server; unpackedMb: number }> {
  const tarballs = path.join(dir, 'tarballs');
  fs.mkdirSync(tarballs);
  let unpacked = 0;
  const files: Record<string, string> = {};
  for (const name of PACKAGES) {
    const source = path.join(HOST_MODULES, name);
    const pkg = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')) as { dependencies?: object; optionalDependencies?: object };
    if (Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies }).length > 0) throw new Error(`${name} has dependencies: pick a package without`);
    const out = execFileSync('npm', ['pack', source, '--ignore-scripts', '--json', '--pack-destination', tarballs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [packed] = JSON.parse(out) as Array<{ filename: string; unpackedSize: number }>;
    files[name] = packed!.filename;
    unpacked += packed!.unpackedSize;
  }
  const server = http.createServer((req, res) => {
    const file = path.join(tarballs, path.basename(decodeURIComponent(req.url ?? '')));
    if (!fs.existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve));
  const base = `http://${host}:${(server.address() as AddressInfo).port}`;
  const app = path.join(dir, 'node-deps-app');
  fs.cpSync(path.join(import.meta.dirname, '../test/fixtures/apps/node-deps'), app, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const name of PACKAGES) manifest.dependencies[name] = `${base}/${encodeURIComponent(files[name]!)}`;
  fs.writeFileSync(path.join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  fs.rmSync(path.join(app, 'package-lock.json'));
  // The lock, as an app commits it: integrity and all; a registry nobody listens on, so nothing else is asked.
  // Not execFileSync: npm fetches the tarballs from this process's server, which must keep answering.
  await promisify(execFile)('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--registry=http://127.0.0.1:9/'], { cwd: app });
  return { app, server, unpackedMb: unpacked / 1e6 };
}

async function firstAndRepeat(p: Platform, user: TestUser, dir: string, appDir: string, answersWith: (app: string, mark: string) => Promise<boolean>, phases: boolean): Promise<[Timed, Timed]> {
  const app = `b${crypto.randomBytes(3).toString('hex')}`;
  const created = await p.cli(['apps:create', app, '--owner', user.email]);
  if (created.code !== 0) throw new Error(`apps:create failed: ${created.stderr}`);
  const repo = path.join(dir, `repo-${app}`);
  fs.cpSync(appDir, repo, { recursive: true });
  for (const args of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qm', 'app']]) execFileSync('git', args, { cwd: repo });
  const first = await pushToLive(repo, user, sshRemote(p, app), () => answersWith(app, 'A'), phases, phases ? false : undefined);
  fs.writeFileSync(path.join(repo, 'mark.txt'), 'B\n'); // app code only: package.json and its lock are unchanged
  await commitAll(repo, 'code B');
  const repeat = await pushToLive(repo, user, sshRemote(p, app), () => answersWith(app, 'B'), phases, phases ? true : undefined);
  await p.cli(['apps:destroy', app, '--confirm', app]);
  return [first, repeat];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const dir = tempDir('paas-bench-');
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const deps = await appWithDependencies(dir, process.env.PAAS_TEST_HOST_ADDRESS ?? '172.17.0.1');
    cleanups.unshift(() => new Promise((resolve) => deps.server.close(() => resolve())));
    const k = await startKubePlatform();
    cleanups.unshift(() => k.destroy());
    const local = await startPlatform();
    cleanups.unshift(() => stopPlatform(local));
    const kUser = await createUser(k.p, 'bench@example.com', dir);
    const lUser = await createUser(local, 'bench-local@example.com', dir);
    const results: Record<'kubernetes' | 'local', Array<[Timed, Timed]>> = { kubernetes: [], local: [] };
    for (let i = 0; i < rounds; i++) {
      results.kubernetes.push(await firstAndRepeat(k.p, kUser, dir, deps.app, async (app, mark) => (await getService(k, app).catch(() => ({ body: '' }))).body.includes(`code ${mark}`), true));
      results.local.push(await firstAndRepeat(local, lUser, dir, deps.app, async (app, mark) => (await getApp(local, app)).body.includes(`code ${mark}`), false));
    }
    console.log(`push-to-live, node app with dependencies (node-deps + ${PACKAGES.join(', ')}: ${deps.unpackedMb.toFixed(0)} MB unpacked), ${rounds} round(s), medians`);
    console.log(`${'mode'.padEnd(12)}${'first'.padStart(10)}${'repeat'.padStart(10)}${'repeat/first'.padStart(14)}`);
    const firsts: Record<string, number> = {};
    for (const mode of ['kubernetes', 'local'] as const) {
      const first = median(results[mode].map(([f]) => f.total));
      const repeat = median(results[mode].map(([, r]) => r.total));
      firsts[mode] = first;
      console.log(`${mode.padEnd(12)}${s(first).padStart(10)}${s(repeat).padStart(10)}${`${((repeat / first) * 100).toFixed(0)}%`.padStart(14)}`);
    }
    console.log(`kubernetes/local, first push: ${(firsts.kubernetes! / firsts.local!).toFixed(1)}x; target: kubernetes repeat ≤ 50% of first`);
    for (const [label, index] of [['first', 0], ['repeat', 1]] as const) {
      console.log(`kubernetes ${label} push, by phase (median):`);
      const names = Object.keys(results.kubernetes[0]![index].phases!);
      for (const name of names) console.log(`  ${name.padEnd(52)}${s(median(results.kubernetes.map((r) => r[index].phases![name]!))).padStart(9)}`);
    }
  } finally {
    for (const cleanup of cleanups) await cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
