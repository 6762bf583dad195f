// test/e2e/push-failures.test.ts — pushes that must not deploy: a failing build, an app that crashes on boot,
// and trees the embedded mode cannot build. Each exits non-zero with ` !     ` lines, leaves the branch where it
// was, and the release that served before keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  createUser, fixtureRepo, getApp, git, httpRemote, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type TestUser,
} from '../support/platform.ts';
import { commitFixture, createApp, pushOutput, remoteRefs, revOf, stopPlatform } from '../support/push.ts';
import { withoutIds } from '../support/first-line.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let repo: string;
let goodRev: string;
const METRICS_TOKEN = 'push-failures-metrics-token';

before(async () => {
  dir = tempDir();
  p = await startPlatform({ env: { PAAS_METRICS_TOKEN: METRICS_TOKEN } });
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, 'steady', alice.email);
  repo = await fixtureRepo('node', dir);
  goodRev = await revOf(repo, 'HEAD');
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'steady'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
});

after(() => stopPlatform(p, dir));

/** Asserts that git refused the ref because the pre-receive hook declined it. */
function assertDeclined(stderr: string): void {
  assert.match(stderr, /! \[remote rejected\]\s+main -> main \(pre-receive hook declined\)/);
}

test('a failing build exits non-zero, shows the build output, and neither moves main nor touches the running release', async () => {
  const badRev = await commitFixture(repo, 'node-build-fails');
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'steady'), 'main');
  assert.notEqual(push.code, 0, pushOutput(push));
  assertDeclined(push.stderr);
  const lines = remoteLines(push.stderr);
  assert.equal(withoutIds(lines[0]!), `-----> Building steady (build 2) from main at ${badRev.slice(0, 7)}`);
  assert.ok(lines.includes('-----> Running build script (npm run build)'), lines.join('\n'));
  assert.ok(lines.includes('       compiling... error: this build fails on purpose'), lines.join('\n'));
  assert.deepEqual(lines.filter((l) => l.startsWith(' !     ')), [
    ' !     npm run build failed (exit 1)',
    ' !     Push rejected: the build failed, nothing was deployed',
  ]);
  assert.ok(!lines.some((l) => l.startsWith('-----> Releasing')), lines.join('\n'));
  assert.equal((await remoteRefs(repo, alice.sshEnv, sshRemote(p, 'steady')))['refs/heads/main'], goodRev);
  assert.deepEqual(await getApp(p, 'steady'), { status: 200, body: 'Hello from node, release v1\n' });
  // The stack was detected before the build script failed: the failed build is labelled node, not other.
  const res = await fetch(`http://127.0.0.1:${p.httpPort}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  assert.match(text, /^paas_build_duration_seconds_count\{stack="node",outcome="failed"\} 1$/m, text);
  assert.doesNotMatch(text, /^paas_build_duration_seconds_count\{stack="other",outcome="failed"\} [1-9]/m);
});

test('an app that crashes on boot shows its last lines, says which release still serves, and keeps it serving', async () => {
  // The failed build's commit never reached the remote; the next push carries it along, which is fine.
  const rev = await commitFixture(repo, 'node-boot-fails');
  const push = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'steady', alice.token), 'main');
  assert.notEqual(push.code, 0, pushOutput(push));
  assertDeclined(push.stderr);
  const lines = remoteLines(push.stderr);
  assert.equal(withoutIds(lines[0]!), `-----> Building steady (build 3) from main at ${rev.slice(0, 7)}`);
  assert.ok(lines.includes('-----> Build 3 succeeded'), lines.join('\n'));
  assert.ok(lines.includes('-----> Releasing v2'), lines.join('\n'));
  assert.ok(lines.includes('       Error: this app fails to boot on purpose'), lines.join('\n'));
  assert.deepEqual(lines.slice(-2), [
    " !     Release v2 failed: Release v2's web process did not start: exited with code 1",
    ' !     v1 is still serving',
  ]);
  assert.equal((await remoteRefs(repo, alice.sshEnv, sshRemote(p, 'steady')))['refs/heads/main'], goodRev);
  assert.deepEqual(await getApp(p, 'steady'), { status: 200, body: 'Hello from node, release v1\n' });
  const releases = await p.cli(['releases', 'steady']);
  assert.match(releases.stdout, /^v2\s+Deploy [0-9a-f]{7}\s+failed\s/m);
  assert.match(releases.stdout, /^v1\*\s+Deploy [0-9a-f]{7}\s+succeeded\s/m);
});

/** Pushes a fixture as the first push of a new app; returns the push and the remote lines. */
async function pushNewApp(app: string, fixture: string) {
  await createApp(p, app, alice.email);
  const r = await fixtureRepo(fixture, dir);
  const push = await git(r, alice.sshEnv, 'push', sshRemote(p, app), 'main');
  return { push, lines: remoteLines(push.stderr), refs: await remoteRefs(r, alice.sshEnv, sshRemote(p, app)) };
}

test('a tree with no known runtime is refused, listing what was looked for', async () => {
  const { push, lines, refs } = await pushNewApp('mystery', 'unknown');
  assert.notEqual(push.code, 0, pushOutput(push));
  assertDeclined(push.stderr);
  assert.deepEqual(lines.slice(1), [
    ' !     No supported app detected. Looked for: Dockerfile, package.json, requirements.txt, pyproject.toml, go.mod, index.html, Procfile',
    ' !     Push rejected: the build failed, nothing was deployed',
  ]);
  assert.deepEqual(refs, {});
  assert.equal((await getApp(p, 'mystery')).status, 404);
});

test('a Dockerfile app says the Kubernetes mode builds it', async () => {
  const { push, lines } = await pushNewApp('docker-app', 'dockerfile');
  assert.notEqual(push.code, 0, pushOutput(push));
  assertDeclined(push.stderr);
  assert.ok(lines.includes('-----> Dockerfile app detected'), lines.join('\n'));
  const error = lines.find((l) => l.startsWith(' !     A Dockerfile app'));
  assert.ok(error, lines.join('\n'));
  assert.match(error, /built only with Docker Engine or in Kubernetes mode: start Docker Engine .*PAAS_RUNTIME=docker or PAAS_RUNTIME=kubernetes/);
});

test('a Go app on a host without Go says what to install', { skip: hasGo() && 'this host has Go, so the app builds' }, async () => {
  const { push, lines } = await pushNewApp('go-app', 'go');
  assert.notEqual(push.code, 0, pushOutput(push));
  assertDeclined(push.stderr);
  assert.ok(lines.includes('-----> Go app detected'), lines.join('\n'));
  assert.ok(lines.includes(' !     Go toolchain not found on this host: install Go, or deploy in Kubernetes mode'), lines.join('\n'));
});

function hasGo(): boolean {
  return spawnSync('go', ['version']).status === 0;
}
