// test/e2e/deploy-from-git-host.test.ts — deploys from a Git host (issue 13 §5) as a user meets them: a real
// `git daemon` on loopback is the Git host, the app is connected through the API, and webhooks signed exactly as
// GitHub documents make gitd fetch the branch and run the normal pipeline, until the router serves the new commit.
// Refused deliveries (bad signature, replay, other branch, oversize) deploy nothing. One platform for all cases.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createUser, FIXTURES, getApp, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { commitAll, createApp, pushOutput, stopPlatform } from '../support/push.ts';
import { signGitHub, startGitHost, type GitHost } from '../support/git-host.ts';
import { waitFor } from '../support/wait.ts';
import { startReceiver } from '../support/webhook-receiver.ts';
import { sshCli } from '../support/access.ts';

let p: Platform;
let dir: string;
let alice: TestUser;
let host: GitHost;
let secret: string;

/** The node fixture, answering with the text of message.txt, so each commit's deploy is visible through the router. */
function appFiles(message: string): Record<string, string> {
  const server = fs.readFileSync(path.join(FIXTURES, 'node', 'server.js'), 'utf8')
    .replace('`Hello from node, release ${process.env.RELEASE_VERSION}\\n`', "`${require('node:fs').readFileSync(__dirname + '/message.txt', 'utf8')}`");
  return { 'package.json': fs.readFileSync(path.join(FIXTURES, 'node', 'package.json'), 'utf8'), 'server.js': server, 'message.txt': message };
}

async function api(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${p.httpPort}${url}`, {
    method, headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}

/** Sends a push webhook as GitHub does: the raw body signed with HMAC SHA-256 in X-Hub-Signature-256. */
async function githubPush(delivery: string, ref: string, after: string, opts: { secret?: string; pad?: number } = {}) {
  const body = JSON.stringify({ ref, after, repository: { full_name: 'me/site' }, pad: 'x'.repeat(opts.pad ?? 0) });
  const res = await fetch(`http://127.0.0.1:${p.httpPort}/hooks/git/hooked`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': delivery, 'x-hub-signature-256': signGitHub(opts.secret ?? secret, body) },
  });
  return { status: res.status, body: await res.json() as any };
}

const delivery = async (id: string) => ((await api('GET', '/api/apps/hooked/source')).body.deliveries as any[]).find((d) => d.id === id);

before(async () => {
  dir = tempDir();
  // The Git host is on loopback: the operator switch for private sources is on (off, the platform refuses it); and
  // outgoing webhooks go to the test's own receiver on loopback: a webhook deploy is a `push` for them too.
  [p, host] = await Promise.all([startPlatform({ env: { PAAS_GIT_SOURCES_ALLOW_PRIVATE: 'true', PAAS_WEBHOOKS_ALLOW_PRIVATE: 'true' } }), startGitHost()]);
  alice = await createUser(p, 'alice@example.com', dir);
  await createApp(p, 'hooked', alice.email);
});

after(async () => {
  await host?.close();
  await stopPlatform(p, dir);
});

test('a signed GitHub push deploys the branch; the build output is stored; refused deliveries deploy nothing', async (t) => {
  const receiver = await startReceiver(t);
  assert.equal((await api('POST', '/api/apps/hooked/webhooks', { url: receiver.url, events: ['push'] })).status, 201);
  const first = await host.createRepo('site', appFiles('first from the git host'));
  const connected = await api('PUT', '/api/apps/hooked/source', { repoUrl: host.url('site'), branch: 'main' });
  assert.equal(connected.status, 200, JSON.stringify(connected.body));
  secret = connected.body.webhookSecret;
  const shown = await p.cli(['git:source', 'hooked']);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`Webhook URL: +http://\\S+/hooks/git/hooked\\n`));
  assert.match(shown.stdout, new RegExp(`Webhook secret: +${secret}`));

  const queued = await githubPush('gh-1', 'refs/heads/main', first);
  assert.deepEqual([queued.status, queued.body.outcome], [202, 'queued']);
  const done = await waitFor(async () => { const d = await delivery('gh-1'); return ['deployed', 'failed'].includes(d.outcome) && d; }, 90_000, 'the first webhook deploy');
  assert.equal(done.outcome, 'deployed', done.detail);
  assert.deepEqual(await getApp(p, 'hooked'), { status: 200, body: 'first from the git host' });
  // The deploy branch moved as a push's would: paas.ref.updated, and so the outgoing webhooks' push event.
  const [pushed] = await receiver.until(1);
  assert.deepEqual(pushed!.json.data, { ref: 'refs/heads/main', before: '0'.repeat(40), after: first, created: true, deleted: false, pusher: { email: 'alice@example.com' } });
  const output = await p.cli(['builds:output', 'hooked']);
  assert.match(output.stdout, /-----> /, 'the build output is stored and shown without a terminal');

  // Refused or ignored, and nothing deployed by any of them.
  const feature = await host.commit('site', appFiles('feature branch'), 'feature');
  const other = await githubPush('gh-2', 'refs/heads/feature', feature);
  assert.deepEqual([other.status, other.body.message], [202, 'ignored: branch feature is not the deploy branch (main)']);
  assert.deepEqual([(await githubPush('gh-1', 'refs/heads/main', feature)).status, (await githubPush('gh-3', 'refs/heads/main', feature, { secret: 'guess' })).status], [409, 401]);
  const big = await githubPush('gh-4', 'refs/heads/main', feature, { pad: 1024 * 1024 });
  assert.deepEqual([big.status, big.body.error?.code], [413, 'E_INPUT_TOO_LARGE']);
  assert.equal((await api('GET', '/api/apps/hooked/releases')).body.length, 1);

  // The next push to main deploys again, over the ref the first one moved.
  const second = await host.commit('site', appFiles('second from the git host'), 'main');
  assert.equal((await githubPush('gh-5', 'refs/heads/main', second)).status, 202);
  const again = await waitFor(async () => { const d = await delivery('gh-5'); return ['deployed', 'failed'].includes(d.outcome) && d; }, 90_000, 'the second webhook deploy');
  assert.equal(again.outcome, 'deployed', again.detail);
  assert.deepEqual(await getApp(p, 'hooked'), { status: 200, body: 'second from the git host' });
  const moved = (await receiver.until(2))[1]!.json.data as Record<string, unknown>;
  assert.deepEqual([moved.before, moved.after, moved.created], [first, second, false]);
  assert.equal(receiver.received.length, 2, 'refused and ignored deliveries moved no ref');
});

test('a fetch that fails (no such repository) is a failed delivery with git\'s reason, and nothing deployed', async () => {
  await api('PUT', '/api/apps/hooked/source', { repoUrl: host.url('missing'), branch: 'main' });
  assert.equal((await githubPush('gh-6', 'refs/heads/main', 'b'.repeat(40))).status, 202);
  const d = await waitFor(async () => { const x = await delivery('gh-6'); return x.outcome === 'failed' && x; }, 30_000, 'the failed fetch');
  assert.match(d.detail, /Could not fetch main from git:\/\/127\.0\.0\.1:\d+\/missing\.git/);
  assert.deepEqual(await getApp(p, 'hooked'), { status: 200, body: 'second from the git host' });
});

test('over ssh with the deploy key: the public half, added as a key at the Git host (our own gitd), lets gitd fetch', async () => {
  // The Git host is this platform's own gitd: bob's app "upstream" holds the source on a branch that does not deploy.
  const bob = await createUser(p, 'bob@example.com', dir);
  await createApp(p, 'upstream', bob.email);
  const repo = path.join(dir, 'upstream');
  fs.mkdirSync(repo);
  await git(repo, process.env, 'init', '-q', '-b', 'source');
  for (const [file, text] of Object.entries(appFiles('third, fetched over ssh'))) fs.writeFileSync(path.join(repo, file), text);
  const rev = await commitAll(repo, 'third');
  const stored = await git(repo, bob.sshEnv, 'push', sshRemote(p, 'upstream'), 'source');
  assert.equal(stored.code, 0, pushOutput(stored));

  // Over SSH as the CLI: bob has no rights on hooked, so neither its secret nor a new source; alice (its owner) has.
  const theirs = await sshCli(p, bob, ['git:source', 'hooked']);
  assert.deepEqual([theirs.code, /App "hooked" not found/.test(theirs.stderr), theirs.stdout.includes(secret)], [1, true, false]);
  assert.equal((await sshCli(p, bob, ['git:connect', 'hooked', 'https://example.com/x.git'])).code, 1);
  const mine = await sshCli(p, alice, ['git:source', 'hooked']);
  assert.equal(mine.code, 0, mine.stderr);
  assert.match(mine.stdout, /Recent deliveries:[\s\S]*gh-5 +github:push +deployed/);

  const url = `ssh://git@127.0.0.1:${p.sshPort}/upstream.git`;
  const connected = await api('PUT', '/api/apps/hooked/source', { repoUrl: url, branch: 'source' });
  assert.equal(connected.status, 200, JSON.stringify(connected.body));
  // Before the key is added at the host, the fetch is refused by the host; after, it deploys.
  assert.equal((await githubPush('ssh-1', 'refs/heads/source', rev)).status, 202);
  const refused = await waitFor(async () => { const d = await delivery('ssh-1'); return d.outcome === 'failed' && d; }, 30_000, 'the fetch without the key');
  assert.match(refused.detail, /Could not fetch source from ssh:/);
  const added = await p.cli(['keys:add', bob.email], connected.body.deployKey + '\n');
  assert.equal(added.code, 0, added.stderr);
  assert.equal((await githubPush('ssh-2', 'refs/heads/source', rev)).status, 202);
  const done = await waitFor(async () => { const d = await delivery('ssh-2'); return ['deployed', 'failed'].includes(d.outcome) && d; }, 90_000, 'the ssh webhook deploy');
  assert.equal(done.outcome, 'deployed', done.detail);
  assert.deepEqual(await getApp(p, 'hooked'), { status: 200, body: 'third, fetched over ssh' });
  const keyFile = path.join(p.dataDir, 'git-sources', 'hooked', 'deploy_key');
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
});
