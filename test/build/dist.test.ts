// test/build/dist.test.ts — `npm run build` makes a dist/ that runs with node alone (the Dockerfile, the chart, the
// Procfile and `npm start` run it): the files the code reads by path are copied beside it (scripts/build.js ASSETS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, run, startPlatform } from '../support/platform.ts';

// scripts/build.js is plain JavaScript (it runs before anything is compiled): its list is read, not type-checked.
const { ASSETS } = (await import(pathToFileURL(path.join(ROOT, 'scripts/build.js')).href)) as { ASSETS: readonly string[] };

/** Production sources (not tests) in the folders tsconfig.build.json compiles. */
function productionSources(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: ROOT, encoding: 'utf8' });
  return out.split('\n').filter((f) => f && !/^(test|bench)\//.test(f) && !f.endsWith('.test.ts') && fs.existsSync(path.join(ROOT, f)));
}

test('every file the sources read by path is one the build copies', () => {
  const read: string[] = [];
  for (const file of productionSources()) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    // new URL('./x', import.meta.url) and path.resolve(<this file's dir>, '../../views')
    for (const m of text.matchAll(/new URL\('(\.{1,2}\/[^']+)', import\.meta\.url\)|fileURLToPath\(import\.meta\.url\)\), '(\.{1,2}\/[^']+)'\)/g)) {
      read.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), (m[1] ?? m[2])!)));
    }
  }
  const missing = read.filter((target) => !target.endsWith('.ts') && !ASSETS.some((a) => target === a || target.startsWith(`${a}/`)));
  assert.ok(read.includes('views'), 'the dashboard reads views/ by path');
  assert.deepEqual(missing, [], 'read by path but not copied into dist/ by scripts/build.js');
});

test('the compiled platform starts from its build and serves the dashboard, its assets, the user docs and git hooks', { timeout: 240_000 }, async (t) => {
  const out = path.join(ROOT, 'test-output', `dist-${process.pid}`);
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  const build = await run(process.execPath, [path.join(ROOT, 'scripts/build.js'), out]);
  assert.equal(build.code, 0, build.stdout + build.stderr);
  const p = await startPlatform({ entry: path.join(out, 'main.js') });
  t.after(() => p.destroy());
  const signin = await fetch(`http://127.0.0.1:${p.httpPort}/signin`);
  assert.equal(signin.status, 200);
  assert.match(await signin.text(), /<form[^>]+action="\/signin"/);
  const css = await fetch(`http://127.0.0.1:${p.httpPort}/static/style.css`);
  assert.equal(css.status, 200);
  assert.equal(await css.text(), fs.readFileSync(path.join(ROOT, 'views/static/style.css'), 'utf8'));
  const docs = await fetch(`http://127.0.0.1:${p.httpPort}/docs/getting-started`);
  assert.equal(docs.status, 200, 'the user docs are copied beside the build');
  assert.match(await docs.text(), /<h1 id="getting-started">/);
  const hook = fs.readFileSync(path.join(p.dataDir, 'git-hooks', 'pre-receive'), 'utf8');
  assert.ok(hook.includes(`'${path.join(out, 'gitd/hooks/hook.cjs')}'`), hook);
  assert.ok(fs.existsSync(path.join(out, 'builders/static-server.cjs')));
  const cli = await run(process.execPath, [path.join(out, 'cli/main.js'), 'apps'], { env: p.env });
  assert.equal(cli.code, 0, cli.stderr);
});
