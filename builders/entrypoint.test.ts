// Tests for builders/entrypoint.ts: the builder-pod entrypoint run as a child process against a small source server.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerfileFor } from './dockerfiles.ts';
import { fetchSource } from './source-fetch.ts';
import { treeFromDir } from './tree.ts';
import { runEntrypoint, type Run } from '../test/support/builder-pod.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const fixtures = path.join(repoRoot, 'test/fixtures/apps');

function tempDir(t: TestContext, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A tarball of dir's top-level entries, as `git archive` lays them out (no ./ entry). */
function tarOf(t: TestContext, dir: string): string {
  const file = path.join(tempDir(t, 'paas-src-'), 'source.tar');
  execFileSync('tar', ['-c', '-f', file, '-C', dir, ...fs.readdirSync(dir)]);
  return file;
}

interface SourceServer { url: string; requests: Array<{ auth: string | undefined }> }

/** Serves one tarball at gitd's path for buildId, refusing any token but the given one with gitd's 401 JSON. */
async function serveSource(t: TestContext, buildId: string, token: string, tarFile: string): Promise<SourceServer> {
  const requests: SourceServer['requests'] = [];
  const server = http.createServer((req, res) => {
    requests.push({ auth: req.headers.authorization });
    if (req.url !== `/internal/builds/${buildId}/source.tar`) return res.writeHead(404).end();
    if (req.headers.authorization !== `Bearer ${token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: { code: 'E_UNAUTHENTICATED', message: 'Missing, wrong or expired build token' } }));
    }
    res.writeHead(200, { 'content-type': 'application/x-tar' });
    fs.createReadStream(tarFile).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/internal/builds/${buildId}/source.tar`, requests };
}

/** Serves the fixture app and runs the entrypoint on it with the right token. */
async function buildFixture(t: TestContext, app: string, token = 'the-token'): Promise<Run & { server: SourceServer; buildId: string }> {
  const buildId = crypto.randomUUID();
  const server = await serveSource(t, buildId, 'the-token', tarOf(t, path.join(fixtures, app)));
  const run = await runEntrypoint(t, { PAAS_SOURCE_URL: server.url, PAAS_BUILD_TOKEN: token, PAAS_APP: 'demo', PAAS_BUILD_ID: buildId });
  return { ...run, server, buildId };
}

test('node: fetches with the token, writes the injected Dockerfile, reports the result', { timeout: 30_000 }, async (t) => {
  const run = await buildFixture(t, 'node');
  assert.equal(run.code, 0, run.lines.join('\n'));
  assert.deepEqual(run.server.requests, [{ auth: 'Bearer the-token' }]);
  assert.equal(run.lines[0], `-----> Fetching source for demo (build ${run.buildId})`);
  assert.match(run.lines[1] ?? '', /^ {7}Received \d+(\.\d)? KB$/);
  assert.deepEqual(run.lines.slice(2), [
    '-----> Node.js app detected',
    '-----> Writing Dockerfile for Node.js',
    '-----> Discovering process types',
    '       Default types for Node.js -> web',
  ]);
  assert.ok(fs.existsSync(path.join(run.workspace, 'server.js')));
  const dockerfile = fs.readFileSync(path.join(run.workspace, 'Dockerfile'), 'utf8');
  assert.equal(dockerfile, dockerfileFor('node', treeFromDir(path.join(fixtures, 'node'))));
  assert.deepEqual(run.termination, { stack: 'node', processTypes: { web: 'npm start' }, dockerfile: 'Dockerfile' });
});

test('static: the static server is copied into the context; python: Procfile types', { timeout: 30_000 }, async (t) => {
  const site = await buildFixture(t, 'static');
  assert.equal(site.code, 0, site.lines.join('\n'));
  assert.ok(fs.statSync(path.join(site.workspace, '.paas/static-server.cjs')).isFile());
  assert.match(fs.readFileSync(path.join(site.workspace, 'Dockerfile'), 'utf8'), /^CMD \["node", ".paas\/static-server.cjs"\]$/m);
  assert.deepEqual(site.termination, { stack: 'static', processTypes: { web: 'node .paas/static-server.cjs' }, dockerfile: 'Dockerfile' });

  const py = await buildFixture(t, 'python');
  assert.equal(py.code, 0, py.lines.join('\n'));
  assert.ok(py.lines.includes('       Procfile declares types -> web'));
  assert.deepEqual(py.termination, { stack: 'python', processTypes: { web: 'python app.py' }, dockerfile: 'Dockerfile' });
});

test("an app's own Dockerfile is used as it is", { timeout: 30_000 }, async (t) => {
  const run = await buildFixture(t, 'dockerfile');
  assert.equal(run.code, 0, run.lines.join('\n'));
  assert.deepEqual(run.lines.slice(2, 4), ['-----> Dockerfile app detected', "-----> Using the app's own Dockerfile"]);
  const own = fs.readFileSync(path.join(fixtures, 'dockerfile/Dockerfile'), 'utf8');
  assert.equal(fs.readFileSync(path.join(run.workspace, 'Dockerfile'), 'utf8'), own);
  assert.deepEqual(run.termination, { stack: 'dockerfile', processTypes: {}, dockerfile: 'Dockerfile' });
});

test("an app's own Dockerfile running as root is built, with a warning that Kubernetes will not start it", { timeout: 30_000 }, async (t) => {
  const app = tempDir(t, 'paas-app-');
  fs.writeFileSync(path.join(app, 'Dockerfile'), 'FROM alpine:3\nUSER root\nCMD ["httpd", "-f"]\n');
  const buildId = crypto.randomUUID();
  const server = await serveSource(t, buildId, 'tok', tarOf(t, app));
  const run = await runEntrypoint(t, { PAAS_SOURCE_URL: server.url, PAAS_BUILD_TOKEN: 'tok', PAAS_APP: 'demo', PAAS_BUILD_ID: buildId });
  assert.equal(run.code, 0, run.lines.join('\n'));
  assert.deepEqual(run.lines.slice(2, 5), [
    '-----> Dockerfile app detected',
    "-----> Using the app's own Dockerfile",
    '       Warning: Your Dockerfile runs the app as root, so it will not start. Kubernetes mode runs apps as non-root: end your Dockerfile with a numeric USER, e.g. `USER 1000`',
  ]);
});

test('a Dockerfile symlink pointing out of the tree is replaced, not written through', { timeout: 30_000 }, async (t) => {
  const app = tempDir(t, 'paas-app-');
  const outside = path.join(tempDir(t, 'paas-outside-'), 'victim');
  fs.writeFileSync(outside, 'untouched');
  fs.cpSync(path.join(fixtures, 'node'), app, { recursive: true });
  fs.symlinkSync(outside, path.join(app, 'Dockerfile'));
  const buildId = crypto.randomUUID();
  const server = await serveSource(t, buildId, 'tok', tarOf(t, app));
  const run = await runEntrypoint(t, { PAAS_SOURCE_URL: server.url, PAAS_BUILD_TOKEN: 'tok', PAAS_APP: 'demo', PAAS_BUILD_ID: buildId });
  assert.equal(run.code, 0, run.lines.join('\n'));
  assert.equal(fs.readFileSync(outside, 'utf8'), 'untouched');
  assert.ok(!fs.lstatSync(path.join(run.workspace, 'Dockerfile')).isSymbolicLink());
  assert.match(fs.readFileSync(path.join(run.workspace, 'Dockerfile'), 'utf8'), /^FROM \$\{BASE_IMAGE\}$/m);
});

test('a wrong token fails at once with a clear message and no retry', { timeout: 30_000 }, async (t) => {
  const run = await buildFixture(t, 'node', 'stale-token');
  assert.equal(run.code, 1);
  assert.equal(run.server.requests.length, 1);
  assert.equal(run.lines.at(-1), ' !     gitd refused the build token (HTTP 401: Missing, wrong or expired build token); tokens last 15 minutes, so push again');
  assert.deepEqual(run.termination, { error: { code: 'E_UNAUTHENTICATED', message: run.lines.at(-1)?.slice(7) } });
  assert.ok(!fs.existsSync(path.join(run.workspace, 'Dockerfile')));
});

test('an unknown stack lists what was looked for', { timeout: 30_000 }, async (t) => {
  const run = await buildFixture(t, 'unknown');
  assert.equal(run.code, 1);
  assert.equal(
    run.lines.at(-1),
    ' !     No supported app detected. Looked for: Dockerfile, package.json, requirements.txt, pyproject.toml, go.mod, index.html, Procfile',
  );
  assert.equal((run.termination as { error: { code: string } }).error.code, 'E_RUNTIME_UNKNOWN');
});

test('a missing setting names the variable', { timeout: 30_000 }, async (t) => {
  const run = await runEntrypoint(t, { PAAS_BUILD_TOKEN: 'x', PAAS_APP: 'demo', PAAS_BUILD_ID: crypto.randomUUID() });
  assert.equal(run.code, 1);
  assert.deepEqual(run.lines, [' !     The builder needs PAAS_SOURCE_URL (the controller sets it on the build pod)']);
});

test('the token is read from its file: without one the builder says where it looked', { timeout: 30_000 }, async (t) => {
  const buildId = crypto.randomUUID();
  const run = await runEntrypoint(t, {
    PAAS_SOURCE_URL: 'http://127.0.0.1:9/unused', PAAS_APP: 'demo', PAAS_BUILD_ID: buildId, PAAS_BUILD_TOKEN_FILE: '/nonexistent/token',
  });
  assert.equal(run.code, 1);
  assert.deepEqual(run.lines, [' !     The builder cannot read its build token at /nonexistent/token (the controller mounts it from a per-build Secret): ENOENT']);
  assert.equal((run.termination as { error: { code: string } }).error.code, 'E_BUILD_FAILED');
});

test('fetchSource retries 5xx answers, then unpacks', { timeout: 30_000 }, async (t) => {
  const tar = tarOf(t, path.join(fixtures, 'static'));
  let calls = 0;
  const server = http.createServer((_req, res) => {
    if (++calls < 3) return res.writeHead(503, { 'content-type': 'text/plain' }).end('starting up');
    fs.createReadStream(tar).pipe(res.writeHead(200));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const workspace = path.join(tempDir(t, 'paas-ws-'), 'ws');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  const bytes = await fetchSource({ url, token: 't', workspace, retryDelaysMs: [5, 5] });
  assert.equal(calls, 3);
  assert.equal(bytes, fs.statSync(tar).size);
  assert.ok(fs.existsSync(path.join(workspace, 'index.html')));
  calls = -10; // every answer a 503 now: the last attempt's reason is the error
  await assert.rejects(fetchSource({ url, token: 't', workspace, retryDelaysMs: [5] }), /Fetching the source failed \(HTTP 503: starting up\)/);
});
