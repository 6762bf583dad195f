// builders/app-json-source.test.ts — reading app.json from a pushed tree's tar: found, absent, and hostile trees.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { readAppJson } from './app-json-source.ts';

/** A tar (as git archive writes it: members without ./) of the given files; symlinks for values starting with '->'. */
function archive(t: test.TestContext, files: Record<string, string | Buffer>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-json-src-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tree = path.join(dir, 'tree');
  fs.mkdirSync(tree);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tree, name)), { recursive: true });
    if (typeof content === 'string' && content.startsWith('->')) fs.symlinkSync(content.slice(2), path.join(tree, name));
    else fs.writeFileSync(path.join(tree, name), content);
  }
  const file = path.join(dir, 'push.tar');
  execFileSync('tar', ['-c', '-f', file, '-C', tree, ...fs.readdirSync(tree)]);
  return file;
}

test('app.json is read from the root of the pushed tree, and only from there', async (t) => {
  assert.equal(await readAppJson(archive(t, { 'app.json': '{"env": {}}', 'package.json': '{}' })), '{"env": {}}');
  assert.equal(await readAppJson(archive(t, { 'sub/app.json': '{}', 'package.json': '{}' })), undefined);
  assert.equal(await readAppJson(archive(t, { 'package.json': '{}' })), undefined);
});

test('hostile app.json in the tree: a symlink, over 64 KiB, not UTF-8 are refused; a directory is no app.json', async (t) => {
  await assert.rejects(readAppJson(archive(t, { 'app.json': '->/etc/passwd' })), /app\.json must be a regular file/);
  assert.equal(await readAppJson(archive(t, { 'app.json/x': '{}' })), undefined);
  await assert.rejects(readAppJson(archive(t, { 'app.json': ' '.repeat(64 * 1024 + 1) })), /larger than 64 KiB/);
  await assert.rejects(readAppJson(archive(t, { 'app.json': Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) })), /not UTF-8/);
});
