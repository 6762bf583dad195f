// test/e2e/limits-ssh.test.ts — the SSH server's connection limits against a started platform with small settings:
// the handshake timeout, the per-address and global caps (a flood leaves healthz and git working), the idle
// timeout, and a build quieter than the idle timeout that is not cut.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createUser, fixtureRepo, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { sshOptions } from '../support/access.ts';
import { createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { httpStatus, rawConnect, type RawConnection } from '../support/raw-tcp.ts';
import { waitFor } from '../support/wait.ts';

const HANDSHAKE_S = 2, PER_ADDRESS = 4, GLOBAL = 40, IDLE_S = 1;

let p: Platform;
let dir: string;
let alice: TestUser;

before(async () => {
  dir = tempDir();
  p = await startPlatform({ env: {
    PAAS_SSH_HANDSHAKE_TIMEOUT: String(HANDSHAKE_S), PAAS_SSH_MAX_PER_ADDRESS: String(PER_ADDRESS),
    PAAS_SSH_MAX_CONNECTIONS: String(GLOBAL), PAAS_SSH_IDLE_TIMEOUT: String(IDLE_S),
  } });
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, 'quiet', alice.email);
});

after(async () => {
  await stopPlatform(p, dir);
});

/** `git ls-remote` over SSH with the real OpenSSH client: exit code 0 means SSH and git work. */
const lsRemote = (app: string) => git(dir, alice.sshEnv, 'ls-remote', sshRemote(p, app));

test('a banner-only or silent SSH connection is closed after the handshake timeout', async () => {
  const banner = rawConnect(p.sshPort, { send: 'SSH-2.0-OpenSSH_9.0\r\n' });
  const silent = rawConnect(p.sshPort);
  assert.match(String(await banner.firstData), /^SSH-2\.0-/, 'the server greets');
  const [b, s] = await Promise.all([banner.closed, silent.closed]);
  for (const ms of [b, s]) {
    assert.ok(ms >= HANDSHAKE_S * 1000 - 200, `closed after ${ms} ms, before the handshake timeout`);
    assert.ok(ms < HANDSHAKE_S * 1000 + 3000, `closed only after ${ms} ms`);
  }
});

test('a client address over its SSH connection cap is closed at once, and gets in again once its connections close', async () => {
  const held = Array.from({ length: PER_ADDRESS }, () => rawConnect(p.sshPort));
  for (const c of held) assert.match(String(await c.firstData), /^SSH-2\.0-/);
  const extra = rawConnect(p.sshPort);
  assert.equal(await extra.firstData, null, 'over the cap: closed without a greeting');
  assert.ok(await extra.closed < 1000, 'closed at once');
  held.forEach((c) => c.socket.destroy());
  await Promise.all(held.map((c) => c.closed));
  const ls = await waitFor(async () => { const r = await lsRemote('quiet'); return r.code === 0 ? r : undefined; }, 10_000, 'git ls-remote over SSH after the connections closed');
  assert.equal(ls.code, 0);
});

test('a flood of a few hundred SSH connections leaves /healthz answering, and git ls-remote over SSH works once it ends', async () => {
  // 300 connections from 75 loopback addresses, 4 each: the per-address cap lets them all in, the global cap not.
  const flood: RawConnection[] = [];
  for (let i = 0; i < 300; i++) flood.push(rawConnect(p.sshPort, { localAddress: `127.0.0.${2 + Math.floor(i / PER_ADDRESS)}`, send: 'SSH-2.0-flood\r\n' }));
  const greeted = (await Promise.all(flood.map((c) => c.firstData))).filter((d) => d !== null).length;
  assert.ok(greeted <= GLOBAL, `${greeted} connections got past a global cap of ${GLOBAL}`);
  assert.ok(greeted > 0, 'some connections were let in');
  assert.equal(await httpStatus(p.httpPort, '/healthz'), 200, '/healthz answers during the flood');
  flood.forEach((c) => c.socket.destroy());
  await Promise.all(flood.map((c) => c.closed));
  const ls = await waitFor(async () => { const r = await lsRemote('quiet'); return r.code === 0 ? r : undefined; }, 10_000, 'git ls-remote over SSH after the flood');
  assert.equal(ls.code, 0);
});

test('an idle SSH session is closed after the idle timeout', async () => {
  // upload-pack advertises its refs, then waits for the client's wants, which never come.
  const started = Date.now();
  const child = spawn('ssh', [...sshOptions(p, alice.keyPath), 'git@127.0.0.1', '--', "git-upload-pack 'quiet.git'"], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '', err = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { err += c; });
  const code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 255)));
  const ms = Date.now() - started;
  child.stdin.destroy();
  assert.match(out, /^[0-9a-f]{4}/, 'git advertised its refs first');
  assert.notEqual(code, 0);
  assert.match(err, /^ !     Closed: no traffic for 1 s \(PAAS_SSH_IDLE_TIMEOUT\)$/m);
  assert.ok(ms >= IDLE_S * 1000, `closed after ${ms} ms, before the idle timeout`);
});

test('a push whose build is quiet for longer than the idle timeout is not cut', async () => {
  await createApp(p, 'slow', alice.email);
  const repo = await fixtureRepo('node-slow-build', dir); // two build lines 2 s apart: longer than the 1 s idle timeout
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'slow'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  assert.match(push.stderr, /step one[\s\S]*step two[\s\S]*v1 is live/);
});

test('logs -t keeps following past the idle timeout', async () => {
  // The app 'slow' is live (the test above). Its log is quiet until config:set restarts it, seconds later.
  const tail = spawn('ssh', [...sshOptions(p, alice.keyPath), 'git@127.0.0.1', '--', 'logs slow -t'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  tail.stdout.on('data', (c) => { out += c; });
  const exited = new Promise<number>((resolve) => tail.on('exit', (c) => resolve(c ?? 255)));
  try {
    await waitFor(() => /listening on port/.test(out), 30_000, 'the app\'s first lines in the tail');
    const set = await p.cli(['config:set', 'slow', 'GREETING=again']);
    assert.equal(set.code, 0, set.stderr);
    await waitFor(() => (out.match(/listening on port/g) ?? []).length >= 2, 60_000, 'the restarted app\'s line in the same tail');
    assert.equal(tail.exitCode, null, 'the tail is still running');
  } finally {
    tail.kill('SIGTERM');
    tail.stdin.destroy();
    await exited;
  }
});
