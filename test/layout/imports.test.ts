// test/layout/imports.test.ts — keeps the import directions of docs/design.md true: the faces (web, cli, gitd)
// reach the runtime only through its read port, gitd and the controller never import each other, and only a
// process's main.ts wires folders that otherwise never meet.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What each top-level folder may import besides itself; `runtime:port` is the read port alone. */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  builders: ['core'],
  runtime: ['builders', 'core'],
  services: ['core', 'runtime:port'],
  controller: ['services', 'runtime', 'builders', 'core'],
  gitd: ['services', 'core'],
  cli: ['services', 'core', 'runtime:port'],
  web: ['services', 'core', 'runtime:port'],
};

/** The runtime's read port: the shapes the faces get and the reader they are handed. */
const PORT = new Set(['runtime/types.ts', 'runtime/reader.ts']);

/** Imports that cross the rule on purpose, each with its reason (docs/design.md). */
const EXCEPTIONS = new Map<string, string>([
  ['services/builds.ts -> builders/app-json-types.ts', 'type only: a build row keeps its validated app.json (docs/design.md, app.json)'],
  ['builders/app-json-types.ts -> runtime/types.ts', "type only: app.json's startup checks are the runtime's StartupCheck (docs/design.md, app.json)"],
]);

function sourceFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: ROOT, encoding: 'utf8' });
  // scripts/ (render-chart.ts) are contributors' tools beside test/ and bench/, not part of a process.
  return out.split('\n').filter((f) => f && !f.startsWith('test/') && !f.startsWith('bench/') && !f.startsWith('scripts/') && !f.endsWith('.test.ts') && fs.existsSync(path.join(ROOT, f)));
}

/** Every relative import of a file (static and dynamic), as repo paths. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)));
}

const folderOf = (file: string): string => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);

test('imports run one way: faces → services → core, controller → runtime → builders → core', () => {
  const wrong: string[] = [];
  for (const file of sourceFiles()) {
    const from = folderOf(file);
    if (path.posix.basename(file) === 'main.ts') continue; // a process's main wires; nothing imports a main
    const allowed = ALLOWED[from];
    assert.ok(allowed, `${file}: top-level folder ${from} is not in the layout of docs/design.md`);
    for (const target of importsOf(file)) {
      const to = folderOf(target);
      if (to === from || allowed.includes(to) || (allowed.includes('runtime:port') && PORT.has(target))) continue;
      if (EXCEPTIONS.has(`${file} -> ${target}`)) continue;
      wrong.push(`${file} -> ${target}`);
    }
  }
  assert.deepEqual(wrong, [], 'imports against the layout of docs/design.md');
});

test('nothing imports a main.ts, and test kits stay out of production folders', () => {
  const files = sourceFiles();
  const intoMain = files.flatMap((f) => importsOf(f).filter((t) => path.posix.basename(t) === 'main.ts').map((t) => `${f} -> ${t}`));
  assert.deepEqual(intoMain, []);
  assert.deepEqual(files.filter((f) => /testkit|test-kit/.test(f)), []);
});
