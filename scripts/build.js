// scripts/build.js — `npm run build`: compiles the platform to dist/ (tsc, tsconfig.build.json) and copies beside
// it the files the code reads at runtime, at the same relative paths, so that dist/ runs with node alone (the
// Dockerfile, the chart, the Procfile and `npm start` use it). Usage: node scripts/build.js [OUT_DIR] (default dist;
// test/build/dist.test.ts builds elsewhere inside the repository, where node still finds node_modules).
// With --if-stale (`npm start`'s prestart) it does nothing while dist/ is newer than every source it is built from,
// so only the first start after a change pays for tsc.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ifStale = process.argv.includes('--if-stale');
const dist = path.resolve(root, process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'dist');
const STAMP = '.build-stamp';
/** Folders that are never sources of the build. */
const NOT_SOURCES = new Set(['node_modules', 'data', 'dist', 'test', 'test-output', 'bench', 'charts', 'docs', '.git', '.ci']);

/**
 * What the compiled code loads by path (test/build/assets.test.ts checks this list against the sources):
 * the dashboard's templates and static files (web/dashboard/render.ts VIEWS_DIR), the git hook wrapper
 * (gitd/repos.ts), the static file server copied into static apps (builders/native.ts) and the user docs served
 * at /docs (web/docs/site.ts DOCS_DIR).
 */
export const ASSETS = ['views', 'gitd/hooks/hook.cjs', 'builders/static-server.cjs', 'docs/user'];

/** The newest modification time among the files the build reads (sources, assets, tsconfig, lockfile). */
function newestSource(dir = root) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (NOT_SOURCES.has(entry.name) && dir === root) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(full));
    else if (entry.isFile()) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** True when dist/ was built after every source last changed. */
function upToDate() {
  const stamp = path.join(dist, STAMP);
  // docs/ holds design notes, not sources, except docs/user: the pages /docs serves.
  const newest = Math.max(newestSource(), newestSource(path.join(root, 'docs', 'user')));
  return fs.existsSync(stamp) && fs.statSync(stamp).mtimeMs > newest;
}

/** Removes dist/, runs tsc (which type-checks) into it, then copies ASSETS. */
function build() {
  // It removes the out dir first: only ever a folder inside the repository, never the repository itself.
  if (!dist.startsWith(root)) {
    process.stderr.write(`build: the out dir must be a folder inside ${root}\n`);
    process.exit(2);
  }
  fs.rmSync(dist, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const args = [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', dist];
  const res = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (res.status !== 0) {
    process.stderr.write(`build failed: tsc exited with ${res.status ?? res.signal}\n`);
    process.exit(1);
  }
  for (const asset of ASSETS) fs.cpSync(path.join(root, asset), path.join(dist, asset), { recursive: true });
  fs.writeFileSync(path.join(dist, STAMP), `${new Date().toISOString()}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (ifStale && upToDate()) process.stdout.write('dist/ is up to date\n');
  else build();
}
