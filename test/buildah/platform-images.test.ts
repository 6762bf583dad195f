// Real builds of our own images with buildah: the builder image (builders/image/Dockerfile), whose entrypoint then
// runs inside it against a source server on this machine as the build Job's init container would, and the
// platform image (Dockerfile) the Helm chart runs.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Buildah, buildahMissing } from './buildah.ts';
import { makeTestImages, testImages } from './images.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const missing = buildahMissing();
const buildah = missing ? undefined : new Buildah();

before(async () => {
  if (buildah) await makeTestImages(buildah, ['node']);
}, { timeout: 30 * 60_000 });

after(async () => {
  await buildah?.destroy();
});

/** Serves the node fixture's tarball at gitd's path for buildId to the one right token. */
async function serveFixture(buildId: string, token: string, dir: string): Promise<http.Server> {
  const fixture = path.join(repoRoot, 'test/fixtures/apps/node');
  const tarFile = path.join(dir, 'source.tar');
  execFileSync('tar', ['-c', '-f', tarFile, '-C', fixture, ...fs.readdirSync(fixture)]);
  const server = http.createServer((req, res) => {
    const ok = req.url === `/internal/builds/${buildId}/source.tar` && req.headers.authorization === `Bearer ${token}`;
    if (!ok) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"code":"E_UNAUTHENTICATED","message":"no"}}');
    fs.createReadStream(tarFile).pipe(res.writeHead(200, { 'content-type': 'application/x-tar' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

test('the builder image builds, runs as non-root, and its entrypoint writes the Dockerfile', { skip: missing ?? false, timeout: 10 * 60_000 }, async (t) => {
  const tag = 'localhost/paas-test-builder';
  const seconds = await buildah!.bud(repoRoot, tag, {
    dockerfile: path.join(repoRoot, 'builders/image/Dockerfile'),
    buildArgs: { BASE_IMAGE: testImages.node },
  });
  t.diagnostic(`buildah bud builder image: ${seconds}s (npm ci of tsx from the npm registry included)`);
  const config = await buildah!.inspect(tag);
  assert.equal(config.User, '1000:1000');
  assert.deepEqual(config.Entrypoint, ['node', '--import', '/opt/paas-builder/node_modules/tsx/dist/loader.mjs', '/opt/paas-builder/builders/entrypoint.ts']);

  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-builder-out-'));
  t.after(() => fs.rmSync(out, { recursive: true, force: true }));
  fs.chmodSync(out, 0o777); // the image's user (1000) writes here, as into the pod's emptyDir
  const buildId = crypto.randomUUID();
  const server = await serveFixture(buildId, 'tok', out);
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  fs.writeFileSync(path.join(out, 'token'), 'tok\n', { mode: 0o444 }); // as the Job's projected Secret mounts it
  const stdout = await buildah!.runIn(tag, config.Entrypoint ?? [], {
    volumes: [`${out}:/out`],
    env: {
      PAAS_SOURCE_URL: `http://127.0.0.1:${port}/internal/builds/${buildId}/source.tar`,
      PAAS_BUILD_TOKEN_FILE: '/out/token', PAAS_APP: 'demo', PAAS_BUILD_ID: buildId,
      PAAS_WORKSPACE: '/out/workspace', PAAS_TERMINATION_LOG: '/out/termination-log',
    },
  });
  const lines = stdout.trimEnd().split('\n');
  assert.equal(lines[0], `-----> Fetching source for demo (build ${buildId})`);
  assert.deepEqual(lines.slice(2, 4), ['-----> Node.js app detected', '-----> Writing Dockerfile for Node.js']);
  assert.match(fs.readFileSync(path.join(out, 'workspace/Dockerfile'), 'utf8'), /^RUN npm install --no-audit --no-fund$/m);
  assert.equal(fs.statSync(path.join(out, 'workspace/Dockerfile')).uid, 1000, 'written by the non-root user');
  const result = JSON.parse(fs.readFileSync(path.join(out, 'termination-log'), 'utf8'));
  assert.deepEqual(result, { stack: 'node', processTypes: { web: 'npm start' }, dockerfile: 'Dockerfile' });
});

test('the platform image builds, and runs git, tini and the CLI as a non-root user', { skip: missing ?? false, timeout: 10 * 60_000 }, async (t) => {
  const tag = 'localhost/paas-test-platform';
  const seconds = await buildah!.bud(repoRoot, tag, { buildArgs: { BASE_IMAGE: testImages.node } });
  t.diagnostic(`buildah bud platform image: ${seconds}s (apt-get from Debian and npm ci from the npm registry included)`);
  const config = await buildah!.inspect(tag);
  assert.equal(config.User, '1000:1000');
  assert.deepEqual(config.Entrypoint, ['tini', '--']);
  assert.ok(config.Env?.includes('PAAS_DATA_DIR=/var/lib/paas'));
  assert.deepEqual(config.Cmd, ['node', 'dist/main.js']);
  // The runtime stage holds the compiled dist/ with the files it reads by path, and no TypeScript toolchain.
  const files = 'test -f dist/views/layouts/main.hbs && test -f dist/gitd/hooks/hook.cjs && test -f dist/builders/static-server.cjs'
    + ' && test ! -e node_modules/tsx && test ! -e node_modules/typescript && test ! -e main.ts';
  const script = `id -u && git --version && tini --version && test -w /var/lib/paas && ${files} && node dist/cli/main.js --help && node bin/paas.js --help`;
  const out = await buildah!.runIn(tag, ['sh', '-c', script], { timeoutMs: 120_000 });
  const lines = out.split('\n');
  assert.equal(lines[0], '1000');
  assert.match(lines[1] ?? '', /^git version 2\./);
  assert.match(lines[2] ?? '', /^tini version/);
  assert.equal(lines.filter((l) => l === 'Usage: npm run paas -- <command> [args]').length, 2, out);
});
