// test/e2e/access-projects.test.ts — the role axis of the access matrix against one started platform, with the real
// git and OpenSSH clients: a project member pushes, a viewer is refused with a clear message (and may still clone),
// someone outside the project sees the app as missing; the projects commands over SSH, and each role's CLI reach.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fixtureRepo, git, httpRemote, run, sshEnv, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { sshCli, withoutName } from '../support/access.ts';

let p: Platform;
let dir: string;
let alice: TestUser; // owns the app and the project (and, as the first user, is the admin)
let bob: TestUser; // member
let carol: TestUser; // viewer
let dave: TestUser; // outside
let repo: string;

const httpEnv: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', GIT_CONFIG_NOSYSTEM: '1' };
const VIEWER_PUSH = 'You have read access to teamapp; this needs deploy access (the app\'s owner, a collaborator, or an owner or member of its project)';

async function ok(user: TestUser, argv: string[]): Promise<string> {
  const r = await sshCli(p, user, argv);
  assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A user with a key, made with two local CLI runs (support's createUser makes a token too: a third); tokens come over SSH. */
async function keyedUser(email: string): Promise<TestUser> {
  const keyPath = path.join(dir, `${email.split('@')[0]}_ed25519`);
  const [created] = await Promise.all([p.cli(['users:create', email], 'correct-horse\n'), run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', email, '-f', keyPath])]);
  assert.equal(created.code, 0, created.stderr);
  const added = await p.cli(['keys:add', email], fs.readFileSync(`${keyPath}.pub`, 'utf8'));
  assert.equal(added.code, 0, added.stderr);
  return { email, keyPath, token: '', sshEnv: sshEnv(keyPath) };
}

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  alice = await keyedUser('alice@example.com');
  [bob, carol, dave] = await Promise.all(['bob', 'carol', 'dave'].map((n) => keyedUser(`${n}@example.com`))) as [TestUser, TestUser, TestUser];
  carol.token = (await ok(carol, ['tokens:create'])).trim().split('\n').pop()!;
  await ok(alice, ['apps:create', 'teamapp']);
  assert.match(await ok(alice, ['projects:create', 'team']), /^Created project team, owned by alice@example\.com/);
  assert.equal(await ok(alice, ['projects:add', 'team', 'teamapp']), 'Added teamapp to project team\n');
  assert.equal(await ok(alice, ['projects:members:add', 'team', 'bob@example.com']), 'Added bob@example.com to project team as member\n');
  assert.equal(await ok(alice, ['projects:members:add', 'team', 'carol@example.com', '--role', 'viewer']), 'Added carol@example.com to project team as viewer\n');
  repo = await fixtureRepo('static', dir);
});

after(async () => {
  await p?.destroy();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('git: a member pushes, a viewer is refused (SSH and HTTP) but clones, an outsider sees the app as missing', async () => {
  const pushed = await git(repo, bob.sshEnv, 'push', sshRemote(p, 'teamapp'), 'main');
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stderr, /remote: -----> v1 is live at http:\/\/teamapp\.localhost:\d+\//);
  fs.writeFileSync(path.join(repo, 'index.html'), '<h1>from a viewer</h1>\n');
  assert.equal((await git(repo, carol.sshEnv, 'commit', '-qam', 'viewer change')).code, 0);
  const [viaSsh, viaHttp] = await Promise.all([
    git(repo, carol.sshEnv, 'push', sshRemote(p, 'teamapp'), 'main'),
    git(repo, httpEnv, 'push', httpRemote(p, 'teamapp', carol.token), 'main'),
  ]);
  assert.equal(viaSsh.code, 128);
  assert.equal(viaSsh.stderr, `fatal: remote error: ${VIEWER_PUSH}\n`);
  assert.equal(viaHttp.code, 128);
  assert.match(viaHttp.stderr, new RegExp(`^remote: ${VIEWER_PUSH.replace(/[()]/g, '\\$&')}\n`));
  const clone = await git(dir, httpEnv, 'clone', '-q', httpRemote(p, 'teamapp', carol.token), path.join(dir, 'viewer-clone'));
  assert.equal(clone.code, 0, clone.stderr);
  assert.equal(fs.readFileSync(path.join(dir, 'viewer-clone', 'index.html'), 'utf8') === '<h1>from a viewer</h1>\n', false, 'the refused push left nothing');
  const [outsider, missing] = await Promise.all([
    git(repo, dave.sshEnv, 'push', sshRemote(p, 'teamapp'), 'main'),
    git(repo, dave.sshEnv, 'push', sshRemote(p, 'nosuchapp'), 'main'),
  ]);
  assert.equal(outsider.code, 128);
  assert.equal(outsider.stderr, 'fatal: remote error: App "teamapp" not found, or you have no access to it\n');
  assert.equal(withoutName(missing.stderr, 'nosuchapp'), withoutName(outsider.stderr, 'teamapp'));
  assert.match(await ok(carol, ['releases', 'teamapp']), /^v1\*\s+.*\s+succeeded\s+bob@example\.com\s/m);
});

test('CLI over SSH: each role reaches what its level allows; config values stay with deployers', async () => {
  assert.match(await ok(carol, ['apps']), /^teamapp\s+alice@example\.com\s/m);
  assert.match(await ok(carol, ['apps:info', 'teamapp']), /^Project:\s+team$/m);
  for (const argv of [['config', 'teamapp'], ['config:get', 'teamapp', 'X']]) {
    const r = await sshCli(p, carol, argv);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, ' !     Config values of teamapp are secrets: viewers cannot see them; a project owner can make you a member\n');
  }
  for (const argv of [['config:set', 'teamapp', 'X=1'], ['ps:scale', 'teamapp', 'web=2'], ['domains:add', 'teamapp', 'x.example.com']]) {
    const r = await sshCli(p, carol, argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.equal(r.stderr, ` !     ${VIEWER_PUSH}\n`, argv.join(' '));
  }
  const destroy = await sshCli(p, bob, ['apps:destroy', 'teamapp', '--confirm', 'teamapp']);
  assert.equal(destroy.stderr, ' !     Only the owner of teamapp (or an owner of its project) can destroy it\n');
  assert.match(await ok(bob, ['config:set', 'teamapp', 'FROM_BOB=1', '--no-restart']), /FROM_BOB/);
  assert.match(await ok(bob, ['config', 'teamapp']), /^FROM_BOB:\s+1$/m);
  const far = await sshCli(p, dave, ['releases', 'teamapp']);
  assert.equal(far.stderr, ' !     App "teamapp" not found, or you have no access to it\n');
  assert.doesNotMatch(await ok(dave, ['apps']), /teamapp/);
});

test('projects commands over SSH: list, members, refusals with clear messages', async () => {
  assert.match(await ok(carol, ['projects']), /^team\s+viewer\s+1 app\s+3 members$/m);
  assert.equal(await ok(dave, ['projects']), 'You are in no project. Create one: projects:create PROJECT\n');
  const members = await ok(carol, ['projects:members', 'team']);
  assert.match(members, /^alice@example\.com\s+owner$/m);
  assert.match(members, /^carol@example\.com\s+viewer$/m);
  const cases: Array<[TestUser, string[], string]> = [
    [carol, ['projects:members:add', 'team', 'dave@example.com', '--role', 'owner'], 'Only owners of project team can change its apps and members (you are a viewer)'],
    [dave, ['projects:members', 'team'], 'Project "team" not found, or you are not a member of it'],
    [alice, ['projects:create', '../etc'], '"../etc" is not a valid project name: use 1-63 lowercase letters, digits and hyphens, starting and ending with a letter or digit'],
    [alice, ['projects:members:add', 'team', 'dave@example.com', '--role', 'admin'], '"admin" is not a project role: use owner, member, viewer'],
    [alice, ['projects:members:remove', 'team', 'alice@example.com'], 'Project team needs at least one owner: make someone else an owner first'],
    [alice, ['projects:add', 'teamapp'], 'Missing APP. Usage: projects:add PROJECT APP'],
  ];
  for (const [user, argv, message] of cases) {
    const r = await sshCli(p, user, argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.equal(r.stderr, ` !     ${message}\n`, argv.join(' '));
  }
});
