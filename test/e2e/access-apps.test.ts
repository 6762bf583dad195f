// test/e2e/access-apps.test.ts — app-level access against a started platform: collaborators (what they may and may
// not do), apps:destroy and its confirmation, and config:set / ps:scale refusals that must change nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createUser, fixtureRepo, git, httpRemote, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { allAppNames, api, repoRefs, sshCli, waitForFile } from '../support/access.ts';
import { waitFor } from '../support/wait.ts';

let p: Platform;
let dir: string;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  admin = await createUser(p, 'admin@example.com', dir); // the first user is an admin; the others are plain users
  [alice, bob, carol] = await Promise.all([
    createUser(p, 'alice@example.com', dir), createUser(p, 'bob@example.com', dir), createUser(p, 'carol@example.com', dir),
  ]);
  const created = await Promise.all([sshCli(p, alice, ['apps:create', 'shared']), sshCli(p, alice, ['apps:create', 'conf'])]);
  created.forEach((r) => assert.equal(r.code, 0, r.stderr));
});

after(async () => {
  await p?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** GETs / through the router with the given Host header. */
function hostGet(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: p.routerPort, path: '/', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function collaborators(app: string): Promise<string> {
  const r = await sshCli(p, alice, ['collaborators', app]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

async function config(app: string, token = alice.token): Promise<Record<string, string>> {
  const r = await api(p, 'GET', `/api/apps/${app}/config`, token);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body as Record<string, string>;
}

test('before being added, a user cannot see or use the app; the owner adds them as a collaborator', async () => {
  const denied = await sshCli(p, bob, ['config', 'shared']);
  assert.equal(denied.code, 1);
  assert.equal(denied.stderr, ' !     App "shared" not found, or you have no access to it\n');
  const selfAdd = await sshCli(p, bob, ['collaborators:add', 'shared', 'bob@example.com']);
  assert.equal(selfAdd.code, 1);
  assert.equal(selfAdd.stderr, ' !     App "shared" not found, or you have no access to it\n');
  assert.match(await collaborators('shared'), /has no collaborators/);

  const added = await sshCli(p, alice, ['collaborators:add', 'shared', 'bob@example.com']);
  assert.equal(added.code, 0, added.stderr);
  assert.equal(added.stdout, 'Added bob@example.com to shared\n');
  assert.equal(await collaborators('shared'), 'bob@example.com\n');
  const twice = await sshCli(p, alice, ['collaborators:add', 'shared', 'bob@example.com']);
  assert.equal(twice.code, 1);
  assert.equal(twice.stderr, ' !     bob@example.com is already a collaborator on shared\n');
  const owner = await sshCli(p, alice, ['collaborators:add', 'shared', 'alice@example.com']);
  assert.equal(owner.code, 1);
  assert.equal(owner.stderr, ' !     alice@example.com already owns shared\n');
});

test('a collaborator can push, and read config, releases and builds over SSH', async () => {
  const repo = await fixtureRepo('static', dir);
  const push = await git(repo, bob.sshEnv, 'push', sshRemote(p, 'shared'), 'main');
  assert.equal(push.code, 0, push.stderr);
  assert.match(push.stderr, /remote: -----> v1 is live at http:\/\/shared\.localhost:\d+\//);
  for (const cmd of ['config', 'releases', 'builds', 'ps', 'apps:info']) {
    const r = await sshCli(p, bob, [cmd, 'shared']);
    assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
  }
  const releases = await sshCli(p, bob, ['releases', 'shared']);
  assert.match(releases.stdout, /^v1\*\s+.*\s+succeeded\s+bob@example\.com\s/m);
  const apps = await sshCli(p, bob, ['apps']);
  assert.match(apps.stdout, /^shared\s+alice@example\.com\s/m);
  assert.doesNotMatch(apps.stdout, /^conf\s/m);
});

test('a collaborator cannot manage collaborators or destroy the app', async () => {
  const refs = await repoRefs(p, 'shared');
  const add = await sshCli(p, bob, ['collaborators:add', 'shared', 'carol@example.com']);
  assert.equal(add.code, 1);
  assert.equal(add.stderr, ' !     Only the owner of shared (or an owner of its project) can manage its collaborators\n');
  const remove = await sshCli(p, bob, ['collaborators:remove', 'shared', 'bob@example.com']);
  assert.equal(remove.code, 1);
  assert.equal(remove.stderr, ' !     Only the owner of shared (or an owner of its project) can manage its collaborators\n');
  const destroy = await sshCli(p, bob, ['apps:destroy', 'shared', '--confirm', 'shared']);
  assert.equal(destroy.code, 1);
  assert.equal(destroy.stderr, ' !     Only the owner of shared (or an owner of its project) can destroy it\n');
  const apiDestroy = await api(p, 'DELETE', '/api/apps/shared?confirm=shared', bob.token);
  assert.equal(apiDestroy.status, 403);
  assert.equal(apiDestroy.body.error.code, 'E_FORBIDDEN');
  assert.equal(await collaborators('shared'), 'bob@example.com\n');
  assert.ok((await allAppNames(p, admin.token)).includes('shared'));
  assert.equal(await repoRefs(p, 'shared'), refs);
  assert.ok(fs.existsSync(path.join(p.dataDir, 'repos', 'shared.git')));
  const carolSees = await sshCli(p, carol, ['releases', 'shared']);
  assert.equal(carolSees.code, 1, 'carol was never added');
});

test('config:set refuses keys that are not [A-Z_][A-Z0-9_]* and pairs without "=", and changes nothing', async () => {
  const set = await sshCli(p, alice, ['config:set', 'conf', 'KEEP=me']);
  assert.equal(set.code, 0, set.stderr);
  const before = await config('conf');
  assert.deepEqual(before, { KEEP: 'me' });
  const cases: Array<[string[], string]> = [
    [['lower=1'], ' !     "lower" is not a valid config key: use [A-Z_][A-Z0-9_]*, for example DATABASE_URL\n'],
    [['1X=1'], ' !     "1X" is not a valid config key: use [A-Z_][A-Z0-9_]*, for example DATABASE_URL\n'],
    [['A-B=1'], ' !     "A-B" is not a valid config key: use [A-Z_][A-Z0-9_]*, for example DATABASE_URL\n'],
    [['=x'], ' !     "" is not a valid config key: use [A-Z_][A-Z0-9_]*, for example DATABASE_URL\n'],
    [['A B=1'], ' !     "A B" is not a valid config key: use [A-Z_][A-Z0-9_]*, for example DATABASE_URL\n'],
    [['GOOD=1', 'bad=2'], ' !     "bad" is not a valid config key: use [A-Z_][A-Z0-9_]*, for example DATABASE_URL\n'],
    [['NOEQUALS'], ' !     "NOEQUALS" is not KEY=VALUE\n'],
    [[], ' !     Give at least one KEY=VALUE\n'],
  ];
  const results = await Promise.all(cases.map(([pairs]) => sshCli(p, alice, ['config:set', 'conf', ...pairs])));
  results.forEach((r, i) => {
    const [pairs, message] = cases[i]!;
    assert.equal(r.code, 1, JSON.stringify(pairs));
    assert.equal(r.stderr, message, JSON.stringify(pairs));
  });
  const unset = await sshCli(p, alice, ['config:unset', 'conf', 'keep']);
  assert.equal(unset.code, 1);
  assert.match(unset.stderr, /^ !     "keep" is not a valid config key/);
  assert.deepEqual(await config('conf'), before);
  const shown = await sshCli(p, alice, ['config', 'conf']);
  assert.equal(shown.stdout, '=== conf Config Vars\nKEEP:  me\n');
});

test('config:set through the local CLI refuses the same keys', async () => {
  const before = await config('conf');
  const [lower, noEq] = await Promise.all([p.cli(['config:set', 'conf', 'lower=1']), p.cli(['config:set', 'conf', 'NOEQUALS'])]);
  assert.equal(lower.code, 1);
  assert.match(lower.stderr, /^ !     "lower" is not a valid config key/);
  assert.equal(noEq.code, 1);
  assert.match(noEq.stderr, /^ !     "NOEQUALS" is not KEY=VALUE/);
  assert.deepEqual(await config('conf'), before);
});

test('ps:scale refuses bad syntax and unknown process types, and the formation is unchanged', async () => {
  const formation = async () => (await api(p, 'GET', '/api/apps/shared', alice.token)).body.formation;
  const before = await formation();
  const cases: Array<[string[], RegExp]> = [
    [[], /^ !     Usage: ps:scale APP TYPE=N…/],
    [['web'], /^ !     "web" is not TYPE=N \(N from 0 to 99\)/],
    [['web=x'], /^ !     "web=x" is not TYPE=N/],
    [['web=-1'], /^ !     "web=-1" is not TYPE=N/],
    [['web=100'], /^ !     "web=100" is not TYPE=N/],
    [['=1'], /^ !     "=1" is not TYPE=N/],
    [['Web=1'], /^ !     "Web=1" is not TYPE=N/],
    [['web=1', 'worker'], /^ !     "worker" is not TYPE=N/],
    [['worker=1'], /^ !     No process type worker in v1; its types are: web$/m],
    [['release=1'], /^ !     No process type release in v1; its types are: web$/m],
    [['web=1', 'clock=2'], /^ !     No process type clock in v1; its types are: web$/m],
  ];
  const results = await Promise.all(cases.map(([args]) => sshCli(p, bob, ['ps:scale', 'shared', ...args])));
  results.forEach((r, i) => {
    const [args, message] = cases[i]!;
    assert.equal(r.code, 1, JSON.stringify(args));
    assert.match(r.stderr, message, JSON.stringify(args));
  });
  const noRelease = await sshCli(p, alice, ['ps:scale', 'conf', 'web=1']);
  assert.equal(noRelease.code, 1);
  assert.equal(noRelease.stderr, ' !     conf has no release yet: git push first\n');
  assert.deepEqual(await formation(), before);
});

test('removing a collaborator takes their access away at once', async () => {
  const repo = await fixtureRepo('static', dir);
  const removed = await sshCli(p, alice, ['collaborators:remove', 'shared', 'bob@example.com']);
  assert.equal(removed.code, 0, removed.stderr);
  const cfg = await sshCli(p, bob, ['config', 'shared']);
  assert.equal(cfg.code, 1);
  assert.equal(cfg.stderr, ' !     App "shared" not found, or you have no access to it\n');
  const push = await git(repo, bob.sshEnv, 'push', '--force', sshRemote(p, 'shared'), 'main');
  assert.equal(push.code, 128);
  assert.match(push.stderr, /remote error: App "shared" not found, or you have no access to it/);
  const http = await git(repo, { ...process.env, GIT_TERMINAL_PROMPT: '0' }, 'push', '--force', httpRemote(p, 'shared', bob.token), 'main');
  assert.equal(http.code, 128);
  assert.match(http.stderr, /^remote: App "shared" not found, or you have no access to it$/m);
});

test('apps:destroy without --confirm, or with the wrong name, is refused and the app stays', async () => {
  const refs = await repoRefs(p, 'shared');
  const message = ' !     This destroys shared and its releases. To proceed, run: apps:destroy shared --confirm shared\n';
  for (const args of [[], ['--confirm', 'wrong'], ['--confirm'], ['--confirm', 'SHARED'], ['--confirm=shared2']]) {
    const r = await sshCli(p, alice, ['apps:destroy', 'shared', ...args]);
    assert.equal(r.code, 1, JSON.stringify(args));
    assert.equal(r.stderr, message, JSON.stringify(args));
  }
  const local = await p.cli(['apps:destroy', 'shared']);
  assert.equal(local.code, 1);
  assert.equal(local.stderr, message);
  const viaApi = await api(p, 'DELETE', '/api/apps/shared', alice.token);
  assert.equal(viaApi.status, 400);
  assert.equal(viaApi.body.error.code, 'E_CONFIRM_REQUIRED');
  assert.ok((await allAppNames(p, admin.token)).includes('shared'));
  assert.equal(await repoRefs(p, 'shared'), refs);
  assert.equal((await sshCli(p, alice, ['releases', 'shared'])).code, 0);
});

test('apps:destroy --confirm removes the app, its access and its git repository', async () => {
  const repoDir = path.join(p.dataDir, 'repos', 'shared.git');
  assert.ok(fs.existsSync(repoDir));
  const domain = await sshCli(p, alice, ['domains:add', 'shared', 'www.shared.example']);
  assert.equal(domain.code, 0, domain.stderr);
  await waitFor(async () => (await hostGet('www.shared.example')).status === 200, 10_000, 'the custom domain to be served');
  const r = await sshCli(p, alice, ['apps:destroy', 'shared', '--confirm', 'shared']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'Destroying shared (including its git repository)... done\n');
  await waitForFile(repoDir, { gone: true });
  await waitFor(async () => (await hostGet('shared.localhost')).status === 404, 10_000, 'the destroyed app to stop being served');
  assert.equal((await hostGet('www.shared.example')).status, 404);
  assert.deepEqual(await allAppNames(p, admin.token), ['conf']);
  const apps = await sshCli(p, alice, ['apps']);
  assert.doesNotMatch(apps.stdout, /^shared\s/m);
  const gone = await sshCli(p, alice, ['releases', 'shared']);
  assert.equal(gone.code, 1);
  assert.equal(gone.stderr, ' !     App "shared" not found, or you have no access to it\n');
  const clone = await git(dir, alice.sshEnv, 'clone', sshRemote(p, 'shared'), path.join(dir, 'after-destroy'));
  assert.equal(clone.code, 128);
  assert.match(clone.stderr, /remote error: App "shared" not found/);
  assert.equal(fs.existsSync(repoDir), false, 'a refused clone must not bring the repo back');
});

test('an app re-created under a destroyed name starts clean: no old releases, repo or custom domains', async () => {
  const created = await sshCli(p, carol, ['apps:create', 'shared']);
  assert.equal(created.code, 0, created.stderr);
  const releases = await sshCli(p, carol, ['releases', 'shared']);
  assert.equal(releases.stdout, '=== shared Releases\nNo releases yet: git push to deploy\n');
  assert.equal(await repoRefs(p, 'shared'), '');
  const domains = await sshCli(p, carol, ['domains', 'shared']);
  assert.equal(domains.stdout, '=== shared domains\nshared.localhost (default)\n');
  const repo = await fixtureRepo('static', dir);
  fs.writeFileSync(path.join(repo, 'index.html'), '<h1>carol</h1>\n');
  assert.equal((await git(repo, carol.sshEnv, 'commit', '-qam', 'carol')).code, 0);
  const push = await git(repo, carol.sshEnv, 'push', sshRemote(p, 'shared'), 'main');
  assert.equal(push.code, 0, push.stderr);
  assert.match((await hostGet('shared.localhost')).body, /carol/);
  const old = await hostGet('www.shared.example');
  assert.equal(old.status, 404, `the destroyed app's domain still routes to the new app: ${old.status} ${old.body}`);
});
