// Unit tests for builders/tree.ts, including the refusal to read outside the pushed tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { treeFromDir, treeFromFiles } from './tree.ts';

test('treeFromDir reads files and refuses paths and symlinks that leave the tree', (t) => {
  const base = mkdtempSync(join(tmpdir(), 'paas-tree-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const app = join(base, 'app');
  mkdirSync(join(app, 'sub'), { recursive: true });
  writeFileSync(join(base, 'secret.txt'), 'secret');
  writeFileSync(join(app, 'Procfile'), 'web: x');
  writeFileSync(join(app, 'sub', 'a.txt'), 'a');
  symlinkSync('../secret.txt', join(app, 'package.json'));
  symlinkSync('sub/a.txt', join(app, 'inside-link'));

  const tree = treeFromDir(app);
  assert.equal(tree.read('Procfile'), 'web: x');
  assert.equal(tree.read('sub/a.txt'), 'a');
  assert.equal(tree.read('inside-link'), 'a');
  assert.equal(tree.has('sub'), false, 'directories are not files');
  assert.equal(tree.has('missing'), false);
  assert.equal(tree.has('Procfile/x'), false);
  for (const escape of ['../secret.txt', 'sub/../../secret.txt', join(base, 'secret.txt'), 'package.json']) {
    assert.equal(tree.has(escape), false, escape);
    assert.equal(tree.read(escape), undefined, escape);
  }
});

test('treeFromFiles serves an in-memory map', () => {
  const tree = treeFromFiles({ 'index.html': '<h1>hi</h1>' });
  assert.equal(tree.has('index.html'), true);
  assert.equal(tree.read('index.html'), '<h1>hi</h1>');
  assert.equal(tree.read('other'), undefined);
});
