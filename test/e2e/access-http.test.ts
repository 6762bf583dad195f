// test/e2e/access-http.test.ts — who may reach which app against a started platform: git over SSH and smart HTTP
// (tokens: wrong, missing, revoked), another user's app refused exactly like a missing one, and the JSON API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createUser, fixtureRepo, getApp, git, httpRemote, sshRemote, startPlatform, tempDir, type Platform, type RunResult, type TestUser } from '../support/platform.ts';
import { allAppNames, api, repoRefs, sshCli, withoutName } from '../support/access.ts';

let p: Platform;
let dir: string;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;
let repo: string;

/** git over HTTP must never prompt or use a stored credential: only what the URL carries. */
const httpEnv: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', GIT_CONFIG_NOSYSTEM: '1' };

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  admin = await createUser(p, 'admin@example.com', dir); // the first user is an admin; alice and bob are plain users
  [alice, bob] = await Promise.all([createUser(p, 'alice@example.com', dir), createUser(p, 'bob@example.com', dir)]);
  const [a, b] = await Promise.all([sshCli(p, alice, ['apps:create', 'alpha']), sshCli(p, bob, ['apps:create', 'bobapp'])]);
  assert.equal(a.code + b.code, 0, a.stderr + b.stderr);
  repo = await fixtureRepo('static', dir);
  const pushed = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'alpha'), 'main');
  assert.equal(pushed.code, 0, pushed.stderr);
  // A second commit that refused pushes try to send.
  fs.writeFileSync(path.join(repo, 'index.html'), '<h1>defaced</h1>\n');
  assert.equal((await git(repo, alice.sshEnv, 'commit', '-qam', 'deface')).code, 0);
});

after(async () => {
  await p?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What a refused git request must leave alone: alpha's refs and its builds. */
async function alphaState(): Promise<{ refs: string; builds: number }> {
  const builds = await api(p, 'GET', '/api/apps/alpha/builds', alice.token);
  assert.equal(builds.status, 200);
  return { refs: await repoRefs(p, 'alpha'), builds: (builds.body as unknown[]).length };
}

let cloneCount = 0;
/** Clones url into a new dir; returns the result and whether the dir was created. */
async function clone(url: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string; created: boolean }> {
  const target = path.join(dir, `clone-${++cloneCount}`);
  const r = await git(dir, env, 'clone', url, target);
  return { code: r.code, stderr: r.stderr, created: fs.existsSync(target) };
}

/** GETs /<app>.git/info/refs with Basic auth (token as password) when given. */
async function infoRefs(app: string, token?: string, service = 'git-upload-pack'): Promise<{ status: number; type: string; body: string; auth: string }> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Basic ${Buffer.from(`git:${token}`).toString('base64')}` };
  const res = await fetch(`http://127.0.0.1:${p.httpPort}/${app}.git/info/refs?service=${service}`, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text(), auth: res.headers.get('www-authenticate') ?? '' };
}

test("another user's app over SSH is refused exactly like a missing one, and nothing changes", async () => {
  const before = await alphaState();
  const [push, pushMissing] = await Promise.all([
    git(repo, bob.sshEnv, 'push', sshRemote(p, 'alpha'), 'main'),
    git(repo, bob.sshEnv, 'push', sshRemote(p, 'nosuchapp'), 'main'),
  ]);
  assert.equal(push.code, 128);
  assert.equal(push.stderr, 'fatal: remote error: App "alpha" not found, or you have no access to it\n');
  assert.equal(withoutName(pushMissing.stderr, 'nosuchapp'), withoutName(push.stderr, 'alpha'));
  const [cl, clMissing] = await Promise.all([clone(sshRemote(p, 'alpha'), bob.sshEnv), clone(sshRemote(p, 'nosuchapp'), bob.sshEnv)]);
  assert.equal(cl.code, 128);
  assert.match(cl.stderr, /fatal: remote error: App "alpha" not found, or you have no access to it/);
  assert.equal(withoutName(clMissing.stderr.replace(/clone-\d+/g, ''), 'nosuchapp'), withoutName(cl.stderr.replace(/clone-\d+/g, ''), 'alpha'));
  assert.equal(cl.created, false);
  assert.deepEqual(await alphaState(), before);
});

test("every app command on another user's app answers exactly like a missing app, and nothing changes", async () => {
  const state = async () => ({
    ...(await alphaState()),
    config: (await api(p, 'GET', '/api/apps/alpha/config', alice.token)).body,
    app: (await api(p, 'GET', '/api/apps/alpha', alice.token)).body,
    info: (await sshCli(p, alice, ['apps:info', 'alpha'])).stdout,
  });
  const before = await state();
  const commands = [
    ['config', '%'], ['config:get', '%', 'X'], ['config:set', '%', 'X=1'], ['config:unset', '%', 'X'], ['releases', '%'],
    ['rollback', '%'], ['rollback', '%', 'v1'], ['builds', '%'], ['builds:output', '%'], ['builds:output', '%', '1'], ['ps', '%'],
    ['ps:scale', '%', 'web=2'], ['logs', '%'], ['logs', '%', '-n', '5'], ['domains', '%'], ['domains:add', '%', 'www.evil.example'],
    ['domains:remove', '%', 'www.evil.example'], ['collaborators', '%'], ['collaborators:add', '%', 'bob@example.com'],
    ['collaborators:remove', '%', 'bob@example.com'], ['apps:info', '%'], ['apps:destroy', '%', '--confirm', '%'],
    ['config:set', '--no-restart', '%', 'X=1'], ['config:set', '--encoded', '%', 'X=eA=='], ['config:unset', '--no-restart', '%', 'X'],
    ['ps:restart', '%'], ['ps:restart', '%', 'web'], ['run', '%', 'true'], ['run', '%', '--', 'sh', '-c', 'env'],
    ['ps:autoscale', '%', 'web', '--min', '1', '--max', '2', '--cpu', '50'], ['ps:autoscale:off', '%', 'web'],
  ];
  const argv = (cmd: string[], app: string) => cmd.map((w) => (w === '%' ? app : w));
  // Eight pairs at a time: 44 SSH connections at once from one address would meet the per-address cap (32) on a slow machine.
  const results: Array<[RunResult, RunResult]> = [];
  for (let i = 0; i < commands.length; i += 8) {
    results.push(...await Promise.all(commands.slice(i, i + 8).map((cmd) => Promise.all([sshCli(p, bob, argv(cmd, 'alpha')), sshCli(p, bob, argv(cmd, 'nosuchapp'))]))));
  }
  results.forEach(([other, missing], i) => {
    const what = argv(commands[i]!, 'alpha').join(' ');
    assert.equal(other.code, 1, what);
    assert.equal(other.stderr, ' !     App "alpha" not found, or you have no access to it\n', what);
    assert.equal(other.stdout, '', what);
    assert.deepEqual({ ...missing, stderr: withoutName(missing.stderr, 'nosuchapp') }, { ...other, stderr: withoutName(other.stderr, 'alpha') }, what);
  });
  assert.deepEqual(await state(), before);
});

test("another user's app over HTTP is refused exactly like a missing one, and nothing changes", async () => {
  const before = await alphaState();
  const [push, pushMissing] = await Promise.all([
    git(repo, httpEnv, 'push', httpRemote(p, 'alpha', bob.token), 'main'),
    git(repo, httpEnv, 'push', httpRemote(p, 'nosuchapp', bob.token), 'main'),
  ]);
  assert.equal(push.code, 128);
  assert.equal(push.stderr, 'remote: App "alpha" not found, or you have no access to it\n'
    + `fatal: repository 'http://127.0.0.1:${p.httpPort}/alpha.git/' not found\n`);
  assert.equal(withoutName(pushMissing.stderr, 'nosuchapp'), withoutName(push.stderr, 'alpha'));
  const cl = await clone(httpRemote(p, 'alpha', bob.token), httpEnv);
  assert.equal(cl.code, 128);
  assert.match(cl.stderr, /remote: App "alpha" not found, or you have no access to it/);
  assert.equal(cl.created, false);
  for (const service of ['git-upload-pack', 'git-receive-pack']) {
    const [other, missing] = await Promise.all([infoRefs('alpha', bob.token, service), infoRefs('nosuchapp', bob.token, service)]);
    assert.equal(other.status, 404, service);
    assert.equal(other.type, 'text/plain; charset=utf-8');
    assert.equal(other.body, 'App "alpha" not found, or you have no access to it\n');
    assert.deepEqual({ ...missing, body: withoutName(missing.body, 'nosuchapp') }, { ...other, body: withoutName(other.body, 'alpha') });
  }
  assert.deepEqual(await alphaState(), before);
});

test('a wrong token makes git fail with the server\'s message, and nothing changes', async () => {
  const before = await alphaState();
  for (const token of ['paas_wrongwrongwrong', 'not-a-token', alice.token.slice(0, -1)]) {
    const push = await git(repo, httpEnv, 'push', httpRemote(p, 'alpha', token), 'main');
    assert.equal(push.code, 128, token);
    assert.equal(push.stderr, 'remote: Authentication required: use an API token as the password (create one with: tokens:create)\n'
      + `fatal: Authentication failed for 'http://127.0.0.1:${p.httpPort}/alpha.git/'\n`, token);
  }
  const empty = await git(repo, httpEnv, 'push', `http://alice:@127.0.0.1:${p.httpPort}/alpha.git`, 'main');
  assert.equal(empty.code, 128);
  assert.match(empty.stderr, /^remote: Authentication required: use an API token as the password/m);
  assert.deepEqual(await alphaState(), before);
});

test('no token: git fails, and the server answers 401 text/plain with a Basic challenge', async () => {
  const before = await alphaState();
  const push = await git(repo, httpEnv, 'push', `http://127.0.0.1:${p.httpPort}/alpha.git`, 'main');
  assert.equal(push.code, 128);
  // git asks for credentials before it shows the body; with prompts off it stops there.
  assert.match(push.stderr, /could not read Username|Authentication failed/);
  const cl = await clone(`http://127.0.0.1:${p.httpPort}/alpha.git`, httpEnv);
  assert.equal(cl.code, 128);
  assert.equal(cl.created, false);
  for (const service of ['git-upload-pack', 'git-receive-pack']) {
    const r = await infoRefs('alpha', undefined, service);
    assert.equal(r.status, 401);
    assert.equal(r.type, 'text/plain; charset=utf-8');
    assert.equal(r.body, 'Authentication required: use an API token as the password (create one with: tokens:create)\n');
    assert.match(r.auth, /^Basic realm=/);
  }
  assert.deepEqual(await alphaState(), before);
});

test('a revoked token stops working at once, for git and the API; other tokens keep working', async () => {
  const created = await sshCli(p, alice, ['tokens:create', '--description', 'ci']);
  assert.equal(created.code, 0, created.stderr);
  const token = created.stdout.trim().split('\n').pop()!;
  assert.match(token, /^paas_/);
  const ok = await clone(httpRemote(p, 'alpha', token), httpEnv);
  assert.equal(ok.code, 0, ok.stderr);

  const list = await sshCli(p, alice, ['tokens']);
  const id = list.stdout.split('\n').find((l) => l.includes(`${token.slice(0, 12)}…`))?.split(/\s+/)[0];
  assert.match(id ?? '', /^\d+$/, list.stdout);
  const byBob = await sshCli(p, bob, ['tokens:revoke', id!]);
  assert.equal(byBob.code, 1);
  assert.equal(byBob.stderr, ` !     You have no active token with id ${id}; list them with: tokens\n`);
  assert.equal((await clone(httpRemote(p, 'alpha', token), httpEnv)).code, 0, "bob's attempt must not revoke alice's token");

  const revoked = await sshCli(p, alice, ['tokens:revoke', id!]);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.equal(revoked.stdout, `Revoked token ${id}\n`);
  const refused = await clone(httpRemote(p, 'alpha', token), httpEnv);
  assert.equal(refused.code, 128);
  assert.match(refused.stderr, /^remote: Authentication required: use an API token as the password/m);
  assert.equal(refused.created, false);
  assert.equal((await api(p, 'GET', '/api/apps', token)).status, 401);
  assert.ok(!(await sshCli(p, alice, ['tokens'])).stdout.includes(token.slice(0, 12)));
  assert.equal((await clone(httpRemote(p, 'alpha', alice.token), httpEnv)).code, 0, "alice's first token still works");
  const again = await sshCli(p, alice, ['tokens:revoke', id!]);
  assert.equal(again.code, 1);
});

test('an unknown app answers 404 text/plain at /info/refs, even with a valid token', async () => {
  const r = await infoRefs('nosuchapp', alice.token);
  assert.equal(r.status, 404);
  assert.equal(r.type, 'text/plain; charset=utf-8');
  assert.equal(r.body, 'App "nosuchapp" not found, or you have no access to it\n');
  const cl = await clone(httpRemote(p, 'nosuchapp', alice.token), httpEnv);
  assert.equal(cl.code, 128);
  assert.match(cl.stderr, /^remote: App "nosuchapp" not found, or you have no access to it$/m);
  assert.equal(cl.created, false);
});

test('HTTP repo paths that are not <app>.git and dumb HTTP are refused as text/plain', async () => {
  const basic = { authorization: `Basic ${Buffer.from(`x:${alice.token}`).toString('base64')}` };
  for (const repoPath of ['/A_B.git', '/..%2F..%2Fetc.git', '/-x.git', '/alpha', '/%2Ftmp%2Fx.git']) {
    const res = await fetch(`http://127.0.0.1:${p.httpPort}${repoPath}/info/refs?service=git-upload-pack`, { headers: basic });
    assert.equal(res.status, 404, repoPath);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8', repoPath);
    assert.match(await res.text(), /is not a repository here|Not a git repository/, repoPath);
  }
  const dumb = await fetch(`http://127.0.0.1:${p.httpPort}/alpha.git/info/refs`, { headers: basic });
  assert.equal(dumb.status, 403);
  assert.equal(await dumb.text(), 'Only git fetch and git push are served here (smart HTTP)\n');
  assert.equal((await fetch(`http://127.0.0.1:${p.httpPort}/alpha.git/HEAD`)).status, 404);
});

test('the API without a token (or with a wrong one) answers 401 E_UNAUTHENTICATED as JSON', async () => {
  for (const token of [undefined, 'paas_wrong', alice.token.toUpperCase()]) {
    const r = await api(p, 'GET', '/api/apps', token);
    assert.equal(r.status, 401, String(token));
    assert.match(r.contentType, /^application\/json/);
    assert.equal(r.body.error.code, 'E_UNAUTHENTICATED');
    assert.match(r.body.error.message, /Authorization: Bearer <token>/);
  }
  const basic = await fetch(`http://127.0.0.1:${p.httpPort}/api/apps`, { headers: { authorization: `Basic ${Buffer.from(`x:${alice.token}`).toString('base64')}` } });
  assert.equal(basic.status, 401);
  const post = await api(p, 'POST', '/api/apps', undefined, { name: 'sneaky' });
  assert.equal(post.status, 401);
  assert.ok(!(await allAppNames(p, admin.token)).includes('sneaky'));
});

test('the API lists only the apps the token\'s user may see', async () => {
  const names = async (token: string) => ((await api(p, 'GET', '/api/apps', token)).body as Array<{ name: string }>).map((a) => a.name);
  assert.deepEqual(await names(alice.token), ['alpha']);
  assert.deepEqual(await names(bob.token), ['bobapp']);
  assert.deepEqual(await names(admin.token), ['alpha', 'bobapp']);
  const own = await api(p, 'GET', '/api/apps/alpha', alice.token);
  assert.equal(own.status, 200);
  assert.equal(own.body.name, 'alpha');
});

test("another user's app through the API is 404 E_APP_NOT_FOUND, like a missing one, and nothing changes", async () => {
  const before = await alphaState();
  const configBefore = (await api(p, 'GET', '/api/apps/alpha/config', alice.token)).body;
  const calls: Array<[string, string, unknown?]> = [
    ['GET', '/api/apps/%s'], ['GET', '/api/apps/%s/config'], ['GET', '/api/apps/%s/releases'], ['GET', '/api/apps/%s/builds'],
    ['GET', '/api/apps/%s/builds/1/output'], ['PATCH', '/api/apps/%s/config', { EVIL: '1' }], ['POST', '/api/apps/%s/rollback', {}],
    ['DELETE', '/api/apps/%s?confirm=%s'],
  ];
  for (const [method, url, body] of calls) {
    const [other, missing] = await Promise.all([
      api(p, method, url.replaceAll('%s', 'alpha'), bob.token, body),
      api(p, method, url.replaceAll('%s', 'nosuchapp'), bob.token, body),
    ]);
    assert.equal(other.status, 404, `${method} ${url}`);
    assert.deepEqual(other.body, { error: { code: 'E_APP_NOT_FOUND', message: 'App "alpha" not found, or you have no access to it' } }, `${method} ${url}`);
    assert.equal(withoutName(JSON.stringify(missing.body), 'nosuchapp'), withoutName(JSON.stringify(other.body), 'alpha'), `${method} ${url}`);
  }
  assert.deepEqual(await allAppNames(p, admin.token), ['alpha', 'bobapp']);
  assert.deepEqual((await api(p, 'GET', '/api/apps/alpha/config', alice.token)).body, configBefore);
  assert.deepEqual(await alphaState(), before);
});

test('POST /api/apps with a hostile name is 400 E_APP_NAME_INVALID and creates nothing', async () => {
  for (const name of ['../x', 'a/b', 'A_B', 'x'.repeat(64), '-x', 'x;rm -rf /', '', 'x y', 'café', 42, null, ['a']]) {
    const r = await api(p, 'POST', '/api/apps', alice.token, { name });
    assert.equal(r.status, 400, JSON.stringify(name));
    assert.equal(r.body.error.code, 'E_APP_NAME_INVALID', JSON.stringify(name));
  }
  const noBody = await api(p, 'POST', '/api/apps', alice.token);
  assert.equal(noBody.status, 400);
  assert.deepEqual(await allAppNames(p, admin.token), ['alpha', 'bobapp']);
});

test('PATCH config with an invalid key is 400 E_CONFIG_KEY_INVALID and changes nothing', async () => {
  const before = (await api(p, 'GET', '/api/apps/alpha/config', alice.token)).body;
  for (const key of ['lower', '1X', 'A-B', 'A B', '']) {
    const r = await api(p, 'PATCH', '/api/apps/alpha/config', alice.token, { GOOD: 'yes', [key]: 'x' });
    assert.equal(r.status, 400, key);
    assert.equal(r.body.error.code, 'E_CONFIG_KEY_INVALID', key);
  }
  assert.deepEqual((await api(p, 'GET', '/api/apps/alpha/config', alice.token)).body, before);
});

test('an unknown route is 404 E_NOT_FOUND as JSON, with or without a token', async () => {
  for (const token of [undefined, alice.token]) {
    const r = await api(p, 'GET', '/api/nope', token);
    assert.equal(r.status, 404);
    assert.match(r.contentType, /^application\/json/);
    assert.deepEqual(r.body, { error: { code: 'E_NOT_FOUND', message: 'No route GET /api/nope' } });
  }
  const del = await api(p, 'DELETE', '/api/apps', alice.token);
  assert.equal(del.status, 404);
  assert.equal(del.body.error.code, 'E_NOT_FOUND');
});

test("a user cannot claim another app's hostname under the platform's domain as a custom domain", async () => {
  const bobRepo = await fixtureRepo('static', dir);
  fs.writeFileSync(path.join(bobRepo, 'index.html'), '<h1>bob was here</h1>\n');
  assert.equal((await git(bobRepo, bob.sshEnv, 'commit', '-qam', 'bob')).code, 0);
  const pushed = await git(bobRepo, bob.sshEnv, 'push', sshRemote(p, 'bobapp'), 'main');
  assert.equal(pushed.code, 0, pushed.stderr);
  const alphaPage = await getApp(p, 'alpha');
  assert.equal(alphaPage.status, 200);
  for (const host of ['alpha.localhost', 'ALPHA.localhost', 'x.alpha.localhost']) {
    const r = await sshCli(p, bob, ['domains:add', 'bobapp', host]);
    assert.equal(r.code, 1, `${host}: ${r.stdout}`);
    assert.match(r.stderr, /^ !     .*localhost/, host);
  }
  const domains = await sshCli(p, bob, ['domains', 'bobapp']);
  assert.equal(domains.stdout, '=== bobapp domains\nbobapp.localhost (default)\n');
  assert.deepEqual(await getApp(p, 'alpha'), alphaPage);
});

test("domains:add refuses IP literals and the platform's hosts, and apps:create refuses reserved names, over SSH and the local CLI", async () => {
  // The attack of issue 8: `domains:add bobapp 127.0.0.1` made bob's app receive the dashboard's cookies.
  for (const host of ['127.0.0.1', '127.0.0.1.', '2130706433', '0x7f.1', '[::1]', '::1']) {
    const r = await sshCli(p, bob, ['domains:add', 'bobapp', host]);
    assert.equal(r.code, 1, `${host}: ${r.stdout}`);
    assert.match(r.stderr, /^ !     ".*" is an IP address; a custom domain must be a hostname/, host);
  }
  for (const host of ['localhost', 'paas.localhost', 'www.localhost.']) {
    const r = await sshCli(p, bob, ['domains:add', 'bobapp', host]);
    assert.equal(r.code, 1, `${host}: ${r.stdout}`);
    assert.match(r.stderr, /^ !     .*under the platform's domain localhost/, host);
  }
  const domains = await sshCli(p, bob, ['domains', 'bobapp']);
  assert.equal(domains.stdout, '=== bobapp domains\nbobapp.localhost (default)\n');
  for (const name of ['paas', 'www', 'api', 'admin', 'git', 'dashboard']) {
    const overSsh = await sshCli(p, bob, ['apps:create', name]);
    assert.equal(overSsh.code, 1, name);
    assert.match(overSsh.stderr, new RegExp(`^ !     "${name}" is reserved by the platform`), name);
  }
  const local = await p.cli(['apps:create', 'api', '--owner', bob.email]);
  assert.equal(local.code, 1);
  assert.match(local.stderr, /^ !     "api" is reserved by the platform/);
  const apps = await sshCli(p, bob, ['apps']);
  assert.doesNotMatch(apps.stdout, /^(paas|www|api|admin|git|dashboard)\b/m);
});
