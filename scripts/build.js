// scripts/build.js — `npm run build`: compiles the platform to dist/ (tsc, tsconfig.build.json) and copies beside
// it the files the code reads at runtime, at the same relative paths, so that dist/ runs with node alone (the
// Dockerfile, the chart, the Procfile and `npm start` use it). Usage: node scripts/build.js [OUT_DIR] (default dist;
// test/build/dist.test.ts builds elsewhere inside the repository, where node still finds node_modules).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = path.resolve(root, process.argv[2] ?? 'dist');

/**
 * What the compiled code loads by path (test/build/assets.test.ts checks this list against the sources):
 * the dashboard's templates and static files (web/dashboard/render.ts VIEWS_DIR), the git hook wrapper
 * (gitd/repos.ts) and the static file server copied into static apps (builders/native.ts).
 */
export const ASSETS = ['views', 'gitd/hooks/hook.cjs', 'builders/static-server.cjs'];

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
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) build();
