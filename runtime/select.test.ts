// runtime/select.test.ts — the embedded mode never loads the Kubernetes client: from every process's main.ts, the
// static imports (what loads at start) reach no file of runtime/kubernetes/ and no Kubernetes package; select.ts
// loads them with import() in Kubernetes mode only. And select.ts is the one place that branches on the mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAINS = ['main.ts', 'web/main.ts', 'gitd/main.ts', 'controller/main.ts', 'cli/main.ts'];

/** The specifiers a file loads when it loads: static imports and re-exports, not `import type`, not import(). */
function staticImports(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const re = /^(?:import|export)\s+(?!type\b)(?:[^;'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm;
  return [...text.matchAll(re)].map((m) => m[1]!);
}

/** Every repo file and package the mains load at start. */
function loadedAtStart(): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [...MAINS];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) queue.push(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
      else packages.add(spec);
    }
  }
  return { files, packages };
}

test('no process loads the Kubernetes client or runtime/kubernetes at start (select.ts imports them lazily)', () => {
  const { files, packages } = loadedAtStart();
  assert.ok(files.has('runtime/select.ts') && files.has('web/api.ts') && files.has('cli/processes.ts'), 'the walk follows the imports');
  assert.deepEqual([...files].filter((f) => f.startsWith('runtime/kubernetes/')), []);
  assert.deepEqual([...packages].filter((p) => p.startsWith('@kubernetes/') || p.startsWith('kubernetes-models')), []);
});

test('the mode is branched on in runtime/select.ts only (the app URL, the manifests command and autoscaling\'s availability excepted)', () => {
  const files = execFileSync('git', ['ls-files', '*.ts'], { cwd: ROOT, encoding: 'utf8' }).split('\n')
    .filter((f) => f && !f.startsWith('test/') && !f.endsWith('.test.ts') && f !== 'core/config.ts' && fs.existsSync(path.join(ROOT, f)));
  const branching = files.filter((f) => /\.mode\s*[!=]==\s*'(local|docker|kubernetes)'|mode\s*:\s*'(docker|kubernetes)'/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
  // services/autoscaling.ts: ps:autoscale is refused, and its form left out of the dashboard, where no autoscaler is.
  assert.deepEqual(branching.sort(), ['cli/manifests.ts', 'runtime/select.ts', 'services/autoscaling.ts', 'services/release-spec.ts']);
});
