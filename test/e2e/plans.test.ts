// test/e2e/plans.test.ts — plans as a user meets them, on one started platform with real git over SSH: an admin's
// plan (the default for new users) of one app and 0.25 build minutes (15 s: room for the extraction, detection and
// npm install on a loaded machine before the endless build prints its first line). The second apps:create is refused
// naming the plan; a push whose build never ends is stopped at the limit, says why and fails; the next push is refused
// before building; `usage` shows the month's minutes. An app.json formation over a plan's instances fails the push
// before anything is deployed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createUser, fixtureRepo, git, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { sshCli } from '../support/access.ts';

let p: Platform;
let dir: string;
let bob: TestUser;
let root: TestUser;

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  root = await createUser(p, 'root@example.com', dir); // the first user: the admin
  const created = await p.cli(['plans:create', 'tiny', '--apps', '1', '--build-minutes', '0.25', '--default']);
  assert.equal(created.code, 0, created.stderr);
  bob = await createUser(p, 'bob@example.com', dir);
});

after(() => stopPlatform(p, dir));

test("the plan's limits bite: a second app is refused, a build past the minutes is stopped, the next push refused", async () => {
  await createApp(p, 'endless', bob.email);
  const second = await p.cli(['apps:create', 'second', '--owner', bob.email]);
  assert.equal(second.code, 1);
  assert.equal(second.stderr.trim(), '!     Plan "tiny" allows 1 app; you own 1. Destroy one or ask an admin for a larger plan');

  const repo = await fixtureRepo('node-endless-build', dir);
  const stopped = await git(repo, bob.sshEnv, 'push', sshRemote(p, 'endless'), 'main');
  assert.notEqual(stopped.code, 0, pushOutput(stopped));
  const lines = remoteLines(stopped.stderr);
  assert.ok(lines.includes('       building forever'), lines.join('\n'));
  assert.deepEqual(lines.filter((l) => l.startsWith(' !     ')), [
    ' !     The build was stopped: it reached the 0.25 build minutes a month of plan "tiny" (used up now). Ask an admin for a larger plan, or wait for next month',
    ' !     Push rejected: the build failed, nothing was deployed',
  ]);

  const refused = await git(repo, bob.sshEnv, 'push', sshRemote(p, 'endless'), 'main');
  assert.notEqual(refused.code, 0, pushOutput(refused));
  const again = remoteLines(refused.stderr);
  assert.ok(!again.some((l) => l.startsWith('-----> Building')), again.join('\n'));
  assert.equal(again.filter((l) => l.startsWith(' !     ')).length, 1, again.join('\n'));
  assert.match(again.find((l) => l.startsWith(' !     '))!, /^ !     Plan "tiny" allows 0\.25 build minutes a month; 0\.\d+ are used this month \(UTC\)\. Nothing was built; wait for next month or ask an admin for a larger plan$/);

  // Over SSH: bob sees his own usage, may not change plans or see another user's.
  const own = await sshCli(p, bob, ['usage']);
  assert.equal(own.code, 0, own.stderr);
  assert.match(own.stdout, /^=== bob@example\.com: plan "tiny"$/m);
  const change = await sshCli(p, bob, ['plans:create', 'mine', '--apps', '99']);
  assert.deepEqual([change.code, change.stderr], [1, ' !     Only admins can manage plans\n']);
  const other = await sshCli(p, bob, ['usage', 'root@example.com']);
  assert.deepEqual([other.code, other.stderr], [1, " !     Only admins can see other users' usage\n"]);

  const usage = await p.cli(['usage', bob.email]);
  assert.equal(usage.code, 0, usage.stderr);
  assert.match(usage.stdout, /^=== bob@example\.com: plan "tiny"$/m);
  assert.match(usage.stdout, /^Apps\s+1 of 1$/m);
  assert.match(usage.stdout, /^Build minutes this month \(UTC\)\s+0\.\d+ of 0\.25$/m);
});

test("app.json's formation over the plan's instances per app fails the push before anything is deployed", async () => {
  for (const args of [['plans:create', 'two', '--instances', '2'], ['plans:assign', 'two', '--user', root.email]]) {
    const r = await p.cli(args);
    assert.equal(r.code, 0, r.stderr);
  }
  await createApp(p, 'formed', root.email);
  const repo = await fixtureRepo('node-formation', dir); // app.json: web 3
  const pushed = await git(repo, root.sshEnv, 'push', sshRemote(p, 'formed'), 'main');
  assert.notEqual(pushed.code, 0, pushOutput(pushed));
  const lines = remoteLines(pushed.stderr);
  assert.deepEqual(lines.filter((l) => l.startsWith(' !     ')), [
    ' !     Plan "two" allows 2 process instances per app; app.json\'s formation (web=3) would make formed run 3 in all. Lower it in app.json and push again or ask an admin for a larger plan',
    ' !     Push rejected: the build failed, nothing was deployed',
  ]);
  assert.ok(!lines.some((l) => /is live|is up/.test(l)), lines.join('\n'));
});
