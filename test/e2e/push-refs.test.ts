// test/e2e/push-refs.test.ts — what each kind of ref update does: other branches are stored without deploying,
// tags and deleting main are refused, force-pushes deploy, other branches can be deleted; one push at a time per
// app; and git protocol v2 over SSH.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  createUser, fixtureRepo, getApp, git, httpRemote, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type TestUser,
} from '../support/platform.ts';
import { commitAll, createApp, livePush, pushOutput, remoteRefs, revOf, stopPlatform } from '../support/push.ts';
import { withoutIds } from '../support/first-line.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let repo: string;
let remote: string;

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, 'refs', alice.email);
  repo = await fixtureRepo('node', dir);
  remote = sshRemote(p, 'refs');
  const push = await git(repo, alice.sshEnv, 'push', remote, 'main');
  assert.equal(push.code, 0, pushOutput(push));
});

after(() => stopPlatform(p, dir));

test('pushing another branch stores it and deploys nothing', async () => {
  fs.writeFileSync(path.join(repo, 'NOTES.md'), 'work in progress\n');
  const rev = await commitAll(repo, 'notes');
  const push = await git(repo, alice.sshEnv, 'push', remote, 'HEAD:feature');
  assert.equal(push.code, 0, pushOutput(push));
  assert.deepEqual(remoteLines(push.stderr), ['-----> Branch feature stored; only the deploy branch (main) deploys, so nothing was deployed']);
  const refs = await remoteRefs(repo, alice.sshEnv, remote);
  assert.equal(refs['refs/heads/feature'], rev);
  assert.notEqual(refs['refs/heads/main'], rev);
  assert.deepEqual(await getApp(p, 'refs'), { status: 200, body: 'Hello from node, release v1\n' });
  const builds = await p.cli(['builds', 'refs']);
  assert.equal(builds.stdout.split('\n').filter((l) => /^\d+\s/.test(l)).length, 1, builds.stdout);
});

test('a tag push is refused and the tag is not stored', async () => {
  const tagged = await git(repo, alice.sshEnv, 'tag', 'v1');
  assert.equal(tagged.code, 0, tagged.stderr);
  for (const url of [remote, httpRemote(p, 'refs', alice.token)]) {
    const push = await git(repo, alice.sshEnv, 'push', url, 'v1');
    assert.notEqual(push.code, 0, pushOutput(push));
    assert.deepEqual(remoteLines(push.stderr), [
      ' !     refs/tags/v1 is not a branch: only branches can be pushed here (push a branch, e.g. git push <remote> main)',
    ]);
    assert.match(push.stderr, /! \[remote rejected\]\s+v1 -> v1 \(pre-receive hook declined\)/);
  }
  assert.deepEqual(await remoteRefs(repo, alice.sshEnv, remote, '--tags'), {});
});

test('deleting main is refused and main stays', async () => {
  const before = await remoteRefs(repo, alice.sshEnv, remote);
  const push = await git(repo, alice.sshEnv, 'push', remote, ':main');
  assert.notEqual(push.code, 0, pushOutput(push));
  assert.deepEqual(remoteLines(push.stderr), [
    ' !     The deploy branch main cannot be deleted: it holds what is deployed (use apps:destroy to remove the app)',
  ]);
  assert.equal((await remoteRefs(repo, alice.sshEnv, remote))['refs/heads/main'], before['refs/heads/main']);
});

test('deleting another branch is allowed', async () => {
  const push = await git(repo, alice.sshEnv, 'push', remote, ':feature');
  assert.equal(push.code, 0, pushOutput(push));
  assert.deepEqual(remoteLines(push.stderr), ['-----> Deleted branch feature']);
  assert.match(push.stderr, /- \[deleted\]\s+feature/);
  assert.equal((await remoteRefs(repo, alice.sshEnv, remote))['refs/heads/feature'], undefined);
});

test('a force-push that rewrites main deploys', async () => {
  // Rewrite the commit main holds on the remote, so the push is not a fast-forward.
  const deployed = (await remoteRefs(repo, alice.sshEnv, remote))['refs/heads/main']!;
  assert.equal((await git(repo, alice.sshEnv, 'reset', '-q', '--hard', deployed)).code, 0);
  const amended = await commitAll(repo, 'node app, reworded', '--amend');
  const plain = await git(repo, alice.sshEnv, 'push', remote, 'main');
  assert.notEqual(plain.code, 0, 'a rewrite without -f must be refused by git');
  const push = await git(repo, alice.sshEnv, 'push', '-f', remote, 'main');
  assert.equal(push.code, 0, pushOutput(push));
  assert.match(push.stderr, new RegExp(`\\+ ${deployed.slice(0, 7)}\\.\\.\\.${amended.slice(0, 7)}\\s+main -> main \\(forced update\\)`));
  const lines = remoteLines(push.stderr);
  assert.equal(withoutIds(lines[0]!), `-----> Building refs (build 2) from main at ${amended.slice(0, 7)}`);
  assert.equal(lines.at(-1), `-----> v2 is live at http://refs.localhost:${p.routerPort}/`);
  assert.equal((await remoteRefs(repo, alice.sshEnv, remote))['refs/heads/main'], amended);
  assert.deepEqual(await getApp(p, 'refs'), { status: 200, body: 'Hello from node, release v2\n' });
});

test('git protocol v2 over SSH: ls-remote and clone', async () => {
  const head = await revOf(repo, 'main');
  const ls = await git(repo, { ...alice.sshEnv, GIT_TRACE_PACKET: '1' }, '-c', 'protocol.version=2', 'ls-remote', remote);
  assert.equal(ls.code, 0, pushOutput(ls));
  assert.match(ls.stderr, /ls-remote< version 2/, 'the server did not answer in protocol v2');
  assert.match(ls.stdout, new RegExp(`^${head}\trefs/heads/main$`, 'm'));
  const target = path.join(dir, 'clone-v2');
  const clone = await git(dir, alice.sshEnv, '-c', 'protocol.version=2', 'clone', '-q', remote, target);
  assert.equal(clone.code, 0, pushOutput(clone));
  assert.equal(await revOf(target, 'HEAD'), head);
  assert.equal(fs.readFileSync(path.join(target, 'server.js'), 'utf8'), fs.readFileSync(path.join(repo, 'server.js'), 'utf8'));
});

/**
 * Starts a slow push to a fresh app, and once its first line is out, pushes another repo over SSH and HTTP: both are
 * refused at once (before the first push ends) with a clear reason. The first then succeeds and frees the lock.
 */
async function assertSecondPushRefused(app: string, firstRemote: (app: string) => string) {
  await createApp(p, app, alice.email);
  const slow = await fixtureRepo('node-slow-build', dir);
  const first = livePush(slow, alice.sshEnv, 'push', firstRemote(app), 'main');
  await first.waitForLine(/^remote: /);
  const other = await fixtureRepo('node', dir);
  let firstEnded = false;
  void first.done.then(() => { firstEnded = true; });
  const refused = `Another push to ${app} is in progress; wait for it to finish, then push again`;
  const overSsh = await git(other, alice.sshEnv, 'push', sshRemote(p, app), 'main');
  assert.notEqual(overSsh.code, 0, pushOutput(overSsh));
  assert.ok(overSsh.stderr.includes(`remote error: ${refused}`), pushOutput(overSsh));
  const overHttp = await git(other, alice.sshEnv, 'push', httpRemote(p, app, alice.token), 'main');
  assert.notEqual(overHttp.code, 0, pushOutput(overHttp));
  assert.ok(overHttp.stderr.includes(refused), pushOutput(overHttp));
  assert.equal(firstEnded, false, 'the second pushes should be refused while the first is still running');
  const done = await first.done;
  assert.equal(done.code, 0, pushOutput(done));
  assert.deepEqual(await getApp(p, app), { status: 200, body: 'Hello from node, release v1\n' });
  const after = await git(other, alice.sshEnv, 'push', '-f', sshRemote(p, app), 'main');
  assert.equal(after.code, 0, `the lock was not released after the first push:\n${pushOutput(after)}`);
}

test('a second push while one runs (first over SSH) is refused at once, over SSH and HTTP', async () => {
  await assertSecondPushRefused('busy-ssh', (app) => sshRemote(p, app));
});

test('a second push while one runs (first over HTTP) is refused at once, over SSH and HTTP', async () => {
  await assertSecondPushRefused('busy-http', (app) => httpRemote(p, app, alice.token));
});
