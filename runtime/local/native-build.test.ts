// runtime/local/native-build.test.ts — native builds in the app's sandbox: each step (npm install scripts and
// `npm run build` here) runs as the app's uid with /app and its own /cache, and sees nothing of the data dir.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Jail } from './jail.ts';
import { NativeBuildDriver, cacheDirOf } from './native-build.ts';
import { makeTempDir } from '../../test/support/local-runtime.ts';
import { probeSandbox } from '../../core/isolation.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (per-app uids)' : probeSandbox() ?? false;
const uid = 200_911;

test('a build step runs in the sandbox as the app uid, writes /app and its /cache, and cannot read the data dir or another app', { skip }, async (t) => {
  const root = await makeTempDir(t, 'native-build');
  const dataDir = path.join(root, 'data');
  fs.mkdirSync(path.join(dataDir, 'apps', 'other', 'slugs', '1'), { recursive: true, mode: 0o700 });
  fs.writeFileSync(path.join(dataDir, 'ssh_host_ed25519_key'), 'SECRET\n', { mode: 0o600 });
  const src = path.join(root, 'src');
  fs.mkdirSync(src);
  const probe = [
    'echo "build uid=$(id -u) home=$HOME pwd=$(pwd) cache=$npm_config_cache"', `cat ${dataDir}/ssh_host_ed25519_key 2>/dev/null || echo data-dir-refused`,
    `ls ${dataDir}/apps/other 2>/dev/null || echo other-app-refused`, 'echo built > /app/built.txt', 'touch /cache/mark && echo cache-write-ok',
  ].join('; ');
  fs.writeFileSync(path.join(src, 'package.json'), JSON.stringify({ name: 'b', version: '1.0.0', private: true, scripts: { build: probe, start: 'node server.js' } }));
  fs.writeFileSync(path.join(src, 'server.js'), '');
  const archivePath = path.join(root, 'src.tar');
  execFileSync('tar', ['-c', '-f', archivePath, '-C', src, '.']);
  const { jail } = Jail.forHost('sandbox', { memoryMb: 512, pids: 128, nofile: 1024 }, process.env.PATH ?? '/usr/bin:/bin', dataDir);
  const slugDir = path.join(dataDir, 'apps', 'b', 'slugs', '1');
  const lines: string[] = [];
  const out = await new NativeBuildDriver(jail).build({
    app: 'b', buildId: 'x', number: 1, archivePath, slugDir, uid, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root' }, log: (l) => lines.push(l),
  });
  const text = lines.join('\n');
  assert.equal(out.slugDir, slugDir, text);
  assert.match(text, new RegExp(`build uid=${uid} home=/app pwd=/app cache=/cache/npm`));
  for (const line of ['data-dir-refused', 'other-app-refused', 'cache-write-ok']) assert.ok(text.includes(line), `${line} in:\n${text}`);
  assert.equal(fs.readFileSync(path.join(slugDir, 'built.txt'), 'utf8'), 'built\n');
  assert.equal(fs.statSync(path.join(slugDir, 'built.txt')).uid, uid);
  assert.equal(fs.statSync(slugDir).mode & 0o777, 0o700);
  assert.equal(fs.statSync(path.join(cacheDirOf(slugDir), 'mark')).uid, uid);
});

test('a toolchain missing in the sandbox is reported as missing, as outside it', { skip: skip || (spawnSync('go', ['version']).status === 0 && 'this host has Go') }, async (t) => {
  const root = await makeTempDir(t, 'native-build');
  const dataDir = path.join(root, 'data');
  const archivePath = path.join(root, 'src.tar');
  execFileSync('tar', ['-c', '-f', archivePath, '-C', new URL('../../test/fixtures/apps/go', import.meta.url).pathname, '.']);
  const { jail } = Jail.forHost('sandbox', { memoryMb: 512, pids: 128, nofile: 1024 }, process.env.PATH ?? '/usr/bin:/bin', dataDir);
  const lines: string[] = [];
  const build = new NativeBuildDriver(jail).build({
    app: 'g', buildId: 'x', number: 1, archivePath, slugDir: path.join(dataDir, 'apps', 'g', 'slugs', '1'), uid, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, log: (l) => lines.push(l),
  });
  await assert.rejects(build, /^PaasError: Go toolchain not found on this host: install Go, or deploy in Kubernetes mode$/);
  assert.ok(!lines.some((l) => l.includes('bwrap')), lines.join('\n'));
});
