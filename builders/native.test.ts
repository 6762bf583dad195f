// Tests for builders/native.ts: real builds of sample apps in temp dirs, with real npm and python3.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPaasError, type ErrorCode } from '../core/errors.ts';
import { buildNative } from './native.ts';
import type { BuildContext } from './run-step.ts';

const fixtures = new URL('../test/fixtures/apps/', import.meta.url);

interface Logged { line: string; at: number }

/** A temp copy of a fixture app (or of inline files), removed after the test. */
function makeApp(t: TestContext, source: string | Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'paas-native-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  if (typeof source === 'string') cpSync(new URL(source, fixtures), dir, { recursive: true });
  else for (const [name, text] of Object.entries(source)) writeFileSync(join(dir, name), text);
  return dir;
}

function makeCtx(srcDir: string, extra: Partial<BuildContext> = {}): { ctx: BuildContext; logged: Logged[]; lines: () => string[] } {
  const logged: Logged[] = [];
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? tmpdir() };
  const ctx: BuildContext = { srcDir, env, say: (line) => logged.push({ line, at: Date.now() }), ...extra };
  return { ctx, logged, lines: () => logged.map((l) => l.line) };
}

async function assertRejects(promise: Promise<unknown>, code: ErrorCode, message: string | RegExp): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(isPaasError(err, code), `expected ${code}, got ${String(err)}`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

const pkg = (scripts: Record<string, string>) => JSON.stringify({ name: 'app', version: '1.0.0', private: true, scripts });

test('node: a zero-dependency app installs and gets npm start as web', async (t) => {
  const { ctx, lines } = makeCtx(makeApp(t, 'node/'));
  const result = await buildNative(ctx);
  assert.deepEqual(result, { stack: 'node', processTypes: { web: 'npm start' }, pathPrepend: ['node_modules/.bin'] });
  const out = lines();
  assert.equal(out[0], '-----> Node.js app detected');
  assert.ok(out.includes('-----> Installing dependencies with npm install'), out.join('\n'));
  assert.deepEqual(out.slice(-2), ['-----> Discovering process types', '       Default types for Node.js -> web']);
  assert.ok(out.every((l) => !l.endsWith('\n')));
});

test('node: the build script runs and its output appears, indented, in the log', async (t) => {
  const dir = makeApp(t, { 'package.json': pkg({ build: 'node build.js', start: 'node server.js' }), 'build.js': "console.log('built the assets')" });
  const { ctx, lines } = makeCtx(dir);
  await buildNative(ctx);
  const out = lines();
  assert.ok(out.includes('-----> Running build script (npm run build)'), out.join('\n'));
  assert.ok(out.includes('       built the assets'), out.join('\n'));
});

test('node: Procfile types win over and join the defaults; release is kept', async (t) => {
  const dir = makeApp(t, { 'package.json': pkg({ start: 'node a.js' }), Procfile: 'worker: node w.js\nrelease: node migrate.js\n' });
  const { ctx, lines } = makeCtx(dir);
  const result = await buildNative(ctx);
  assert.deepEqual(result.processTypes, { web: 'npm start', worker: 'node w.js', release: 'node migrate.js' });
  assert.deepEqual(lines().slice(-2), ['       Procfile declares types -> worker, release', '       Default types for Node.js -> web']);
});

test('node: a failing build script fails the build, with its output in the log', async (t) => {
  const { ctx, lines } = makeCtx(makeApp(t, 'node-build-fails/'));
  await assertRejects(buildNative(ctx), 'E_BUILD_FAILED', 'npm run build failed (exit 1)');
  assert.ok(lines().includes('       compiling... error: this build fails on purpose'), lines().join('\n'));
});

test('node: build output streams live, not at the end', async (t) => {
  const build = "console.log('first'); setTimeout(() => console.log('second'), 1500);";
  const dir = makeApp(t, { 'package.json': pkg({ build: 'node build.js', start: 'node server.js' }), 'build.js': build });
  const { ctx, logged } = makeCtx(dir);
  await buildNative(ctx);
  const finished = Date.now();
  const first = logged.find((l) => l.line === '       first');
  const second = logged.find((l) => l.line === '       second');
  assert.ok(first && second, logged.map((l) => l.line).join('\n'));
  assert.ok(second.at - first.at >= 1000, `first came ${second.at - first.at} ms before second`);
  assert.ok(finished - first.at >= 1000, 'first was logged while the build was still running');
});

test('node: cancelling the build kills the running step', async (t) => {
  const build = "console.log('first'); setTimeout(() => console.log('second'), 30000);";
  const dir = makeApp(t, { 'package.json': pkg({ build: 'node build.js', start: 'node server.js' }), 'build.js': build });
  const controller = new AbortController();
  const { ctx, lines } = makeCtx(dir, { signal: controller.signal });
  const say = ctx.say;
  ctx.say = (line) => {
    say(line);
    if (line === '       first') controller.abort();
  };
  const started = Date.now();
  await assertRejects(buildNative(ctx), 'E_BUILD_FAILED', 'npm run build was cancelled');
  assert.ok(Date.now() - started < 20000);
  assert.ok(!lines().includes('       second'));
});

test('node: a process left running by the build script does not hang the build', async (t) => {
  const dir = makeApp(t, { 'package.json': pkg({ build: 'sleep 60 & echo started in the background', start: 'node server.js' }) });
  const { ctx, lines } = makeCtx(dir);
  const started = Date.now();
  await buildNative(ctx);
  assert.ok(Date.now() - started < 30000, 'the build did not wait for the background process');
  assert.ok(lines().includes('       started in the background'));
});

test('node: no start command and no Procfile fails before installing', async (t) => {
  const { ctx, lines } = makeCtx(makeApp(t, { 'package.json': pkg({}) }));
  await assertRejects(buildNative(ctx), 'E_BUILD_FAILED', 'No start command: add a Procfile (web: node server.js) or a "start" script in package.json');
  assert.deepEqual(lines(), ['-----> Node.js app detected']);
});

test('node: invalid package.json fails with the parse error', async (t) => {
  const { ctx } = makeCtx(makeApp(t, { 'package.json': '{ "scripts": ' }));
  await assertRejects(buildNative(ctx), 'E_BUILD_FAILED', /^package\.json is not valid JSON: /);
});

test('an invalid Procfile fails before any step', async (t) => {
  const { ctx } = makeCtx(makeApp(t, { 'package.json': pkg({ start: 'x' }), Procfile: 'web node a.js' }));
  await assertRejects(buildNative(ctx), 'E_PROCFILE_INVALID', /^Procfile line 1/);
});

test('go: a GOPATH-style app (main.go, no go.mod, Procfile web: web) fails the build at once, saying Go builds need go.mod', async (t) => {
  const { ctx } = makeCtx(makeApp(t, { 'main.go': 'package main\nfunc main() {}\n', Procfile: 'web: web' }));
  await assertRejects(buildNative(ctx), 'E_BUILD_FAILED', /^Go builds need go\.mod: this app has Go files \(main\.go\) but no go\.mod .*\nRun `go mod init <module>`/);
});

test('python: venv with no requirements to install, Procfile web', async (t) => {
  const dir = makeApp(t, 'python/');
  const { ctx, lines } = makeCtx(dir);
  const result = await buildNative(ctx);
  assert.deepEqual(result, { stack: 'python', processTypes: { web: 'python app.py' }, pathPrepend: ['.venv/bin'] });
  assert.ok(existsSync(join(dir, '.venv', 'bin', 'python')));
  const out = lines();
  assert.equal(out[0], '-----> Python app detected');
  assert.ok(out.includes('       No requirements to install'), out.join('\n'));
  assert.deepEqual(out.slice(-2), ['-----> Discovering process types', '       Procfile declares types -> web']);
});

test('python: requirements go through pip, whose failure fails the build with its output', async (t) => {
  const dir = makeApp(t, { 'requirements.txt': '# deps\nno-such-package-for-paas-tests==1.0\n', Procfile: 'web: python app.py' });
  const { ctx, lines } = makeCtx(dir);
  ctx.env.PIP_NO_INDEX = '1'; // this host has no PyPI: fail at once instead of retrying the network
  await assertRejects(buildNative(ctx), 'E_BUILD_FAILED', 'pip install failed (exit 1)');
  const out = lines();
  assert.ok(out.includes('-----> Installing requirements with pip'), out.join('\n'));
  assert.ok(out.some((l) => l.startsWith('       ') && l.includes('no-such-package-for-paas-tests')), out.join('\n'));
});

test('python: no Procfile fails with an example', async (t) => {
  const { ctx } = makeCtx(makeApp(t, { 'requirements.txt': '' }));
  await assertRejects(buildNative(ctx), 'E_BUILD_FAILED', 'Python apps need a Procfile, for example: web: python app.py');
});

test('go: a host without Go fails with a clean message', async (t) => {
  const dir = makeApp(t, 'go/');
  const { ctx, lines } = makeCtx(dir);
  ctx.env.PATH = dir; // a PATH with no go on it, whatever this host has installed
  await assertRejects(buildNative(ctx), 'E_BUILD_FAILED', 'Go toolchain not found on this host: install Go, or deploy in Kubernetes mode');
  assert.deepEqual(lines(), ['-----> Go app detected', '-----> Building with go build']);
});

test('static: copies the static server and declares it as web', async (t) => {
  const dir = makeApp(t, 'static/');
  const { ctx, lines } = makeCtx(dir);
  const result = await buildNative(ctx);
  assert.deepEqual(result, { stack: 'static', processTypes: { web: 'node .paas/static-server.cjs' }, pathPrepend: [] });
  assert.ok(existsSync(join(dir, '.paas', 'static-server.cjs')));
  assert.deepEqual(lines(), [
    '-----> Static HTML app detected',
    '-----> Serving index.html and the files beside it',
    '-----> Discovering process types',
    '       Default types for Static HTML -> web',
  ]);
});

test('procfile: commands as given, no build step', async (t) => {
  const { ctx, lines } = makeCtx(makeApp(t, 'procfile/'));
  const result = await buildNative(ctx);
  assert.deepEqual(result, { stack: 'procfile', processTypes: { web: 'node server.js' }, pathPrepend: [] });
  assert.deepEqual(lines(), [
    '-----> Procfile app detected',
    '-----> Procfile app: running its commands as given',
    '-----> Discovering process types',
    '       Procfile declares types -> web',
  ]);
});

test('dockerfile: refused in the embedded mode', async (t) => {
  const { ctx, lines } = makeCtx(makeApp(t, 'dockerfile/'));
  await assertRejects(buildNative(ctx), 'E_RUNTIME_UNSUPPORTED', /^A Dockerfile app is built only with Docker Engine or in Kubernetes mode: start Docker Engine .*, or run the platform with PAAS_RUNTIME=docker or PAAS_RUNTIME=kubernetes\./);
  assert.deepEqual(lines(), ['-----> Dockerfile app detected']);
});

test('unknown: refused with what was looked for', async (t) => {
  const { ctx } = makeCtx(makeApp(t, 'unknown/'));
  await assertRejects(buildNative(ctx), 'E_RUNTIME_UNKNOWN', /Looked for: Dockerfile, package\.json/);
});
