// test/e2e/sandbox.test.ts — a hostile tenant, pushed with real git over real SSH, tries to reach past its bubblewrap
// sandbox (data dir, host key, another app, the database, signals, writes, the router's port, a fork bomb, memory, a
// setsid child); each attempt is refused while a second app keeps answering. One platform start for all of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createUser, fixtureRepo, getApp, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { waitFor } from '../support/wait.ts';
import { probeSandbox } from '../../core/isolation.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (per-app uids)' : probeSandbox() ?? false;

let p: Platform;
let dir: string;
let alice: TestUser;
let bob: TestUser;

before(async () => {
  if (skip) return;
  dir = tempDir();
  p = await startPlatform({ env: { PAAS_ISOLATION: 'sandbox', PAAS_APP_MEMORY_MB: '96', PAAS_APP_PIDS: '48' } });
  alice = await createUser(p, 'alice@example.com', dir);
  bob = await createUser(p, 'bob@example.com', dir);
  await createApp(p, 'calm', alice.email);
  await createApp(p, 'hostile', bob.email);
  for (const [app, fixture, user] of [['calm', 'python', alice], ['hostile', 'hostile', bob]] as const) {
    const push = await git(await fixtureRepo(fixture, dir), user.sshEnv, 'push', sshRemote(p, app), 'main');
    assert.equal(push.code, 0, pushOutput(push));
  }
});

after(() => stopPlatform(p, dir));

interface Proc { pid: number; ppid: number; uid: number; cmd: string }

/** The host's processes, from /proc. */
function processes(): Proc[] {
  return fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).flatMap((n) => {
    try {
      const status = fs.readFileSync(`/proc/${n}/status`, 'utf8');
      const field = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1]);
      return [{ pid: Number(n), ppid: field('PPid'), uid: field('Uid'), cmd: fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0/g, ' ') }];
    } catch {
      return [];
    }
  });
}

/** This test's platform process (by its data dir) and each app's sandbox, its bwrap, by uid: they are its children. */
function sandboxes(): { platform: number; byUid: Map<number, Proc> } {
  const all = processes();
  const ours = (x: Proc) => { try { return fs.readFileSync(`/proc/${x.pid}/environ`, 'utf8').includes(`PAAS_DATA_DIR=${p.dataDir}\0`); } catch { return false; } };
  const platform = all.find((x) => x.cmd.includes('main.ts') && ours(x))?.pid ?? 0;
  const bwraps = all.filter((x) => x.ppid === platform && x.cmd.includes('bwrap'));
  return { platform, byUid: new Map(bwraps.map((x) => [x.uid, x])) };
}

async function call(app: string, pathName: string): Promise<Record<string, unknown>> {
  const r = await getApp(p, app, pathName);
  assert.equal(r.status, 200, `${pathName}: ${r.body}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

/** The platform's own health endpoint answers. */
function healthz(): Promise<number> {
  return new Promise((resolve) => http.get({ host: '127.0.0.1', port: p.httpPort, path: '/healthz' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', () => resolve(0)));
}

async function othersAnswer(): Promise<void> {
  assert.deepEqual(await getApp(p, 'calm'), { status: 200, body: 'Hello from python\n' });
  assert.equal(await healthz(), 200);
}

test("a hostile app cannot read the data dir, the host key, another app's slug, environ or logs, reach the database or platform sockets, signal others, write outside /app and /tmp, or take the router's port", { skip }, async () => {
  const hostileUid = Number((await call('hostile', '/probe?data=/&slug=/&pid=1&platform=1&router=1&log=/')).uid);
  const { platform, byUid } = sandboxes();
  const calm = [...byUid.values()].find((x) => x.uid !== hostileUid);
  assert.ok(platform > 1 && calm, `sandboxes: ${JSON.stringify([...byUid.values()])}`);
  const q = new URLSearchParams({
    data: p.dataDir, slug: path.join(p.dataDir, 'apps', 'calm', 'slugs', '1'), pid: String(calm.pid), platform: String(platform),
    router: String(p.routerPort), log: path.join(p.dataDir, 'logs', 'calm.log'),
  });
  const r = await call('hostile', `/probe?${q}`);
  assert.ok(hostileUid >= 200_000 && hostileUid !== calm.uid, `each app its own uid: ${hostileUid} vs ${calm.uid}`);
  for (const what of ['read data dir', 'read host key', "read another app's slug", "read another app's environ", "read another app's log",
    'connect to the database socket', "connect to the platform's hook socket", 'signal another app', 'signal the platform',
    'write /etc', 'write /usr', 'write /', "bind the router's port"]) {
    assert.match(String(r[what]), /^refused: /, `${what}: ${r[what]}`);
  }
  assert.match(String(r['write /app']), /^ALLOWED/);
  assert.match(String(r['write /tmp']), /^ALLOWED/);
  assert.equal(r['release.test'], true, 'the release phase (touch /app/release.test) wrote the slug');
  assert.ok(fs.existsSync(path.join(p.dataDir, 'apps', 'hostile', 'slugs', '1', 'written')), '/app is the slug');
  assert.equal(fs.statSync(path.join(p.dataDir, 'apps', 'hostile', 'slugs', '1', 'written')).uid, hostileUid);
  // Behind the sandbox's view, the platform's own folders are closed to other uids too.
  for (const dir of ['repos', 'logs', 'run', 'git-hooks']) assert.equal(fs.statSync(path.join(p.dataDir, dir)).mode & 0o777, 0o700, dir);
  await othersAnswer();
});

test('a fork bomb in one app stops at its pids limit while the platform and the other app answer', { skip }, async () => {
  const bomb = await call('hostile', '/forkbomb');
  assert.ok(Number(bomb.forked) > 0 && Number(bomb.forked) < 48, JSON.stringify(bomb));
  assert.equal(bomb['stopped by'], 'EAGAIN');
  await othersAnswer();
  assert.deepEqual(await call('hostile', '/reap'), { reaped: true });
});

test('an app past its memory limit is killed and restarted, and ps and the logs say it ran out of memory', { skip }, async () => {
  const r = await getApp(p, 'hostile', '/hog');
  assert.notEqual(r.status, 200);
  await othersAnswer();
  await waitFor(async () => (await getApp(p, 'hostile')).status === 200, 30_000, 'the hostile app to be restarted');
  // The app may answer through the router a moment before its boot check marks it up: ps is polled, not read once.
  const up = /web\.1\s+up \(restarted after running out of memory\)/;
  const ps = await waitFor(async () => {
    const out = (await p.cli(['ps', 'hostile'])).stdout;
    return up.test(out) ? out : undefined;
  }, 10_000, 'ps to show web.1 up (restarted after running out of memory)');
  assert.match(ps, up);
  const logs = await p.cli(['logs', 'hostile']);
  assert.match(logs.stdout, /web\.1: out of memory \(the limit is 96 MB\)/, logs.stdout);
});

test('a setsid child does not outlive its app: scaling to zero ends the whole sandbox', { skip }, async () => {
  const hostileUid = Number((await call('hostile', '/probe?data=/&slug=/&pid=1&platform=1&router=1&log=/')).uid);
  await call('hostile', '/setsid');
  const mine = () => processes().filter((x) => x.uid === hostileUid && x.ppid !== 0);
  assert.ok(mine().some((x) => x.cmd.startsWith('sleep 600')), 'the setsid child runs');
  const scaled = await p.cli(['ps:scale', 'hostile', 'web=0']);
  assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
  await waitFor(() => !mine().some((x) => x.cmd.startsWith('sleep 600')), 15_000, 'the setsid child to end with its sandbox');
  await othersAnswer();
});
