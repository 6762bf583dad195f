// test/e2e/review-apps.test.ts — review apps as a user meets them, on one platform: turned on over SSH, a branch
// pushed over SSH becomes <app>-<branch> answering through the router with the parent's config and the overrides,
// a second push (over HTTP) answers the new content, a failed review build fails the push, the API lists them,
// deleting the branch destroys the review app (the router answers 404), and destroying the parent takes the rest.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  createUser, fixtureRepo, getApp, git, httpRemote, remoteLines, run, sshRemote, startPlatform, tempDir, type Platform, type TestUser,
} from '../support/platform.ts';
import { commitAll, createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { waitFor } from '../support/wait.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let repo: string;
const review = 'shop-feature-login-page';

/** Runs a platform command over SSH as alice (the real OpenSSH client). */
function ssh(...command: string[]) {
  return run('ssh', ['-i', alice.keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-p', String(p.sshPort), 'git@127.0.0.1', ...command]);
}

/** The app answers with its greeting (config), its content and its release. */
function writeServer(content: string): void {
  fs.writeFileSync(path.join(repo, 'server.js'), [
    "const http = require('node:http');",
    'http.createServer((req, res) => res.end(`${process.env.GREETING} ' + content + ' ${process.env.RELEASE_VERSION}\\n`)).listen(Number(process.env.PORT));',
    '',
  ].join('\n'));
}

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, 'shop', alice.email);
  repo = await fixtureRepo('node', dir);
  for (const cmd of [['config:set', 'shop', 'GREETING=parent', 'KEEP=1'], ['review-apps:enable', 'shop', '--expire', '3d'], ['review-apps:config:set', 'shop', 'GREETING=review']]) {
    const r = await ssh(...cmd);
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
});

after(() => stopPlatform(p, dir));

test('a pushed branch becomes its review app, live at its own URL, with the overrides', async () => {
  writeServer('one');
  await git(repo, alice.sshEnv, 'checkout', '-q', '-b', 'feature/Login-Page');
  await commitAll(repo, 'one');
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'shop'), 'feature/Login-Page');
  assert.equal(push.code, 0, pushOutput(push));
  const lines = remoteLines(push.stderr);
  assert.equal(lines[0], `-----> Creating review app ${review} for branch feature/Login-Page`);
  assert.equal(lines.at(-1), `-----> Review app ${review} is live at http://${review}.localhost:${p.routerPort}/`);
  assert.deepEqual(await getApp(p, review), { status: 200, body: 'review one v1\n' });
  assert.equal((await getApp(p, 'shop')).status, 404, 'the parent was not deployed');
  const config = await ssh('config', review);
  assert.match(config.stdout, /GREETING:\s+review/);
  assert.match(config.stdout, /KEEP:\s+1/);
});

test('pushing the branch again (over HTTP) deploys the new content to the same review app', async () => {
  writeServer('two');
  await commitAll(repo, 'two');
  const push = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'shop', alice.token), 'feature/Login-Page');
  assert.equal(push.code, 0, pushOutput(push));
  assert.equal(remoteLines(push.stderr)[0], `-----> Updating review app ${review} for branch feature/Login-Page`);
  assert.deepEqual(await getApp(p, review), { status: 200, body: 'review two v2\n' });
});

test('a review build that fails fails the push, the branch is not stored, and the new review app is removed', async () => {
  await git(repo, alice.sshEnv, 'checkout', '-q', '-b', 'broken');
  await git(repo, alice.sshEnv, 'rm', '-q', 'package.json', 'server.js');
  await commitAll(repo, 'nothing to run');
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'shop'), 'broken');
  assert.notEqual(push.code, 0, pushOutput(push));
  assert.equal(remoteLines(push.stderr).at(-1), ' !     Review app shop-broken was not deployed, so it was removed; the branch broken was not stored');
  assert.match(push.stderr, /! \[remote rejected\]\s+broken -> broken \(pre-receive hook declined\)/);
});

test('the CLI and the API list the review apps under the parent', async () => {
  const listed = await ssh('review-apps', 'shop');
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, new RegExp(`${review}\\s+feature/Login-Page\\s+http://${review}\\.localhost:${p.routerPort}/`));
  assert.doesNotMatch(listed.stdout, /shop-broken/);
  assert.match((await ssh('apps')).stdout, new RegExp(`${review} \\(review app of shop\\)`));
  const res = await fetch(`http://127.0.0.1:${p.httpPort}/api/apps/shop/review-apps`, { headers: { authorization: `Bearer ${alice.token}` } });
  const body = await res.json() as { enabled: boolean; expire: string; config: object; reviewApps: Array<{ name: string; branch: string; url: string }> };
  assert.deepEqual([body.enabled, body.expire, body.config], [true, '3d', { GREETING: 'review' }]);
  assert.deepEqual(body.reviewApps.map((r) => [r.name, r.branch]), [[review, 'feature/Login-Page']]);
  const all = await (await fetch(`http://127.0.0.1:${p.httpPort}/api/apps`, { headers: { authorization: `Bearer ${alice.token}` } })).json() as Array<{ name: string; reviewOf: string | null }>;
  assert.deepEqual(all.map((a) => [a.name, a.reviewOf]), [['shop', null], [review, 'shop']]);
  const bad = await fetch(`http://127.0.0.1:${p.httpPort}/api/apps/shop/review-apps`, {
    method: 'PUT', headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ expire: '10y' }),
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json() as { error: { code: string } }).error.code, 'E_REVIEW_EXPIRY_INVALID');
});

test('deleting the branch destroys the review app: the router answers 404 and the app is gone', async () => {
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'shop'), ':feature/Login-Page');
  assert.equal(push.code, 0, pushOutput(push));
  assert.deepEqual(remoteLines(push.stderr), [`-----> Deleted branch feature/Login-Page; review app ${review} destroyed`]);
  await waitFor(async () => (await getApp(p, review)).status === 404, 20_000, 'the router to forget the review app');
  const info = await ssh('apps:info', review);
  assert.notEqual(info.code, 0);
  assert.match(info.stderr, /not found/);
  await waitFor(() => !fs.existsSync(path.join(p.dataDir, 'apps', review)), 20_000, "the review app's slugs to be removed");
});

test('destroying the parent destroys its review apps', async () => {
  const r = await ssh('apps:destroy', 'shop', '--confirm', 'shop');
  assert.equal(r.code, 0, r.stderr);
  const apps = await ssh('apps');
  assert.doesNotMatch(apps.stdout, /shop/);
});
