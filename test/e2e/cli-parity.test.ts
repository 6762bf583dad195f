// test/e2e/cli-parity.test.ts — Heroku/Dokku CLI parity over the real OpenSSH client against `npm start`: `run` with the
// app's config and its exit code passed back, refused like a missing app for another user; `config:set --encoded`
// with a multi-line PEM the app then serves; `ps:restart` while the app keeps answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createUser, fixtureRepo, getApp, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { sshCli, sshRaw, withoutName } from '../support/access.ts';
import { waitFor } from '../support/wait.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let bob: TestUser;
const app = 'parity';

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  alice = await createUser(p, 'alice@example.com', dir); // the first user: the admin
  bob = await createUser(p, 'bob@example.com', dir);
  await createApp(p, app, bob.email);
  const repo = await fixtureRepo('node-env', dir);
  const push = await git(repo, bob.sshEnv, 'push', sshRemote(p, app), 'main');
  assert.equal(push.code, 0, pushOutput(push));
});

after(() => stopPlatform(p, dir));

test('run APP -- sh -c \'echo $FOO; exit 3\' over SSH prints the config value and exits 3', async () => {
  const set = await sshCli(p, bob, ['config:set', '--no-restart', app, 'FOO=from-config']);
  assert.equal(set.code, 0, set.stderr);
  // The words as a user types them after `ssh host`: OpenSSH sends them as one line, which the platform splits.
  const r = await sshRaw(p, bob.keyPath, `run ${app} -- sh -c 'echo $FOO; echo "in $(pwd) as $DYNO"; exit 3'`);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, 'from-config\nin /app as run.1\n');
  const ok = await sshRaw(p, bob.keyPath, `run ${app} ls -la`);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /server\.js/);
  // The local CLI passes the exit code back as its own.
  const local = await p.cli(['run', app, '--', 'sh', '-c', 'echo "$FOO" >&2; exit 4']);
  assert.equal(local.code, 4, local.stderr);
  assert.equal(local.stderr, 'from-config\n');
});

test('run on another user\'s app answers exactly like a missing app, and runs nothing', async () => {
  const other = await createUser(p, 'carol@example.com', dir);
  const theirs = await sshCli(p, other, ['run', app, '--', 'touch', '/app/pwned']);
  const missing = await sshCli(p, other, ['run', 'no-such-app', '--', 'touch', '/app/pwned']);
  assert.equal(theirs.code, 1);
  assert.equal(theirs.stdout, '');
  assert.equal(withoutName(theirs.stderr, app), withoutName(missing.stderr, 'no-such-app'));
  assert.match(theirs.stderr, /^ !     App "parity" not found, or you have no access to it\n$/);
  const check = await sshCli(p, bob, ['run', app, '--', 'sh', '-c', 'test -e /app/pwned && echo there || echo absent']);
  assert.equal(check.stdout, 'absent\n');
});

test('config:set --encoded round-trips a multi-line PEM that the app then sees', async () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUX0\n+/=line two\n-----END CERTIFICATE-----';
  const set = await sshCli(p, bob, ['config:set', '--encoded', app, `GREETING=${Buffer.from(pem).toString('base64')}`]);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /^Setting GREETING and restarting parity\.\.\. done, v\d+\n$/);
  const got = await sshCli(p, bob, ['config:get', app, 'GREETING']);
  assert.equal(got.stdout, `${pem}\n`);
  const served = await getApp(p, app);
  assert.equal(served.status, 200);
  assert.match(served.body, new RegExp(`greeting ${pem.replace(/[+/]/g, '\\$&')}\\n$`));
  const bad = await sshCli(p, bob, ['config:set', '--encoded', app, 'GREETING=not-base64!']);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, ' !     GREETING: --encoded values must be base64 (padded with =, on one line: base64 -w0 makes one)\n');
  const bogus = await sshCli(p, bob, ['config:set', '--bogus', app, 'X=1']);
  assert.equal(bogus.code, 1);
  assert.match(bogus.stderr, /^ !     Unknown flag --bogus\./);
});

test('ps:restart replaces the web process while the app keeps answering', async () => {
  const port = async () => /web\.1\s+up\s+v\d+\s+port (\d+)/.exec((await sshCli(p, bob, ['ps', app])).stdout)?.[1];
  const before = await waitFor(port, 15_000, 'web.1 up in ps');
  const failures: string[] = [];
  let done = false;
  const loop = (async () => {
    while (!done) {
      const r = await getApp(p, app);
      if (r.status !== 200) failures.push(`${r.status} ${r.body}`);
    }
  })();
  const r = await sshCli(p, bob, ['ps:restart', app]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `Restarting ${app}... done\n`);
  await waitFor(async () => (await port()) !== before && (await port()) !== undefined, 30_000, 'a new web.1 in ps');
  done = true;
  await loop;
  assert.deepEqual(failures, []);
  const unknown = await sshCli(p, bob, ['ps:restart', app, 'clock']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^ !     No process type clock in v\d+; its types are: web\n$/);
});
