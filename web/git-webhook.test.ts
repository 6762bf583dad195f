// web/git-webhook.test.ts — connecting an app to a Git host through the API, and the webhook endpoint through
// inject(): GitHub, Gitea/Forgejo and generic formats signed as each documents; what is refused (bad or missing
// signature 401, replayed delivery 409, oversized body 413, hostile repository URLs 400) and what is ignored (other
// branches, non-push events) queues nothing; a valid push queues exactly one paas.source.push in the outbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createToken, getUserByEmail } from '../core/accounts/users.ts';
import { addAppToProject, createProject, setProjectMember } from '../services/projects.ts';
import { createAppAs, signUp, startWeb, type Browser, type Harness } from '../test/support/dashboard.ts';
import { signGitHub } from '../test/support/git-host.ts';
import { WEBHOOK_BODY_LIMIT } from '../services/webhook-receive.ts';

const REV = 'a'.repeat(40);

async function apiAs(h: Harness, email: string, app?: string, signedIn?: (b: Browser) => void) {
  const b = await signUp(h, email);
  signedIn?.(b);
  if (app) await createAppAs(b, app);
  const { id } = await h.db('users').where({ email }).first('id');
  const token = await createToken(h.db, id);
  return async (method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: unknown) => {
    const res = await h.app.inject({
      method, url, payload: payload === undefined ? undefined : JSON.stringify(payload),
      headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  };
}

async function hook(h: Harness, app: string, body: string, headers: Record<string, string>) {
  const res = await h.app.inject({ method: 'POST', url: `/hooks/git/${app}`, payload: body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.statusCode, body: res.json() as { ok?: boolean; outcome?: string; message?: string; error?: { code: string } } };
}

const queued = async (h: Harness) => (await h.db('outbox').where({ subject: 'paas.source.push' }).select('payload')).map((r) => (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload));

test('API: connect, show, disconnect; only the app\'s users see the secret; hostile URLs refused', async (t) => {
  const h = await startWeb(t);
  const api = await apiAs(h, 'owner@example.com', 'demo');
  const other = await apiAs(h, 'other@example.com');
  assert.equal((await api('GET', '/api/apps/demo/source')).body.error.code, 'E_SOURCE_NOT_CONNECTED');
  const put = await api('PUT', '/api/apps/demo/source', { repoUrl: 'https://git.example.com/me/demo.git', branch: 'production' });
  assert.equal(put.status, 200, JSON.stringify(put.body));
  assert.match(put.body.webhookUrl, /^http:\/\/[^/]+\/hooks\/git\/demo$/);
  assert.match(put.body.webhookSecret, /^[0-9a-f]{64}$/);
  assert.match(put.body.deployKey, /^ssh-ed25519 AAAA\S+ paas-deploy-key-demo$/);
  assert.equal(JSON.stringify(put.body).includes('PRIVATE'), false, 'the private key is never sent');
  // Reconnecting keeps the secret and key (the Git host's settings stay valid); --rotate makes new ones.
  const again = await api('PUT', '/api/apps/demo/source', { repoUrl: 'git@git.example.com:me/demo.git' });
  assert.equal(again.body.webhookSecret, put.body.webhookSecret);
  assert.equal(again.body.branch, 'main');
  const rotated = await api('PUT', '/api/apps/demo/source', { repoUrl: 'git@git.example.com:me/demo.git', rotate: true });
  assert.notEqual(rotated.body.webhookSecret, put.body.webhookSecret);
  assert.notEqual(rotated.body.deployKey, put.body.deployKey);
  assert.equal((await other('GET', '/api/apps/demo/source')).body.error.code, 'E_APP_NOT_FOUND');
  assert.equal((await other('PUT', '/api/apps/demo/source', { repoUrl: 'https://x.example/a.git' })).body.error.code, 'E_APP_NOT_FOUND');
  const hostile = ['file:///etc', '/srv/git/app.git', './app.git', 'ext::sh -c touch% /tmp/pwned', '-uhack', '--upload-pack=touch /tmp/x',
    'https://user:pass@github.com/me/app.git', 'https://token@github.com/me/app.git', 'fd::3', 'ftp://example.com/a.git',
    'https://github.com/me/app.git\nfoo', 'https://github.com/me/a b.git', `https://github.com/${'a'.repeat(500)}.git`,
    'git@-oProxyCommand=x:app.git', 'https://-x/app.git', 'https://github.com/', 'ssh://git@host', ''];
  for (const repoUrl of hostile) {
    const r = await api('PUT', '/api/apps/demo/source', { repoUrl });
    assert.equal(r.status, 400, `${JSON.stringify(repoUrl)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'E_SOURCE_URL_INVALID', repoUrl);
  }
  for (const branch of ['-b', '../x', 'a..b', 'x.lock', 'a b', 'feat/.hidden', 'HEAD', 'a'.repeat(201)]) {
    assert.equal((await api('PUT', '/api/apps/demo/source', { repoUrl: 'https://github.com/me/app.git', branch })).body.error?.code, 'E_SOURCE_URL_INVALID', branch);
  }
  for (const ok of ['https://github.com/me/app.git', 'ssh://git@github.com:22/me/app.git', 'git@github.com:me/app.git', 'git://git.example.com/app.git']) {
    assert.equal((await api('PUT', '/api/apps/demo/source', { repoUrl: ok, branch: 'release/v1.2' })).status, 200, ok);
  }
  // SSRF: without PAAS_GIT_SOURCES_ALLOW_PRIVATE, hosts on the platform's own network are refused (by name too).
  for (const inside of ['http://127.0.0.1:9418/app', 'git://127.0.0.1/app.git', 'git@localhost:app.git', 'ssh://git@[::1]:2222/a.git', 'https://10.0.0.1/a.git', 'http://169.254.169.254/a']) {
    const r = await api('PUT', '/api/apps/demo/source', { repoUrl: inside });
    assert.deepEqual([r.status, r.body.error?.code], [400, 'E_SOURCE_URL_REFUSED'], inside);
  }
  assert.equal((await api('DELETE', '/api/apps/demo/source')).status, 204);
  assert.equal((await api('DELETE', '/api/apps/demo/source')).body.error.code, 'E_SOURCE_NOT_CONNECTED');
});

test('PAAS_GIT_SOURCES_ALLOW_PRIVATE=true allows loopback and private hosts, never the metadata address', async (t) => {
  const h = await startWeb(t, { PAAS_GIT_SOURCES_ALLOW_PRIVATE: 'true' });
  const api = await apiAs(h, 'owner@example.com', 'demo');
  for (const ok of ['http://127.0.0.1:9418/app', 'git://127.0.0.1/app.git', 'git@localhost:app.git', 'https://10.0.0.1/a.git']) {
    assert.equal((await api('PUT', '/api/apps/demo/source', { repoUrl: ok })).status, 200, ok);
  }
  for (const meta of ['http://169.254.169.254/latest', 'git@100.100.100.200:a.git']) {
    assert.equal((await api('PUT', '/api/apps/demo/source', { repoUrl: meta })).body.error?.code, 'E_SOURCE_URL_REFUSED', meta);
  }
});

test('webhook: three formats accepted; bad signature, replay, other branch, oversize and unknown apps refused', async (t) => {
  const h = await startWeb(t);
  const api = await apiAs(h, 'owner@example.com', 'demo');
  const { body: src } = await api('PUT', '/api/apps/demo/source', { repoUrl: 'https://git.example.com/me/demo.git' });
  const secret: string = src.webhookSecret;
  const push = (ref = 'refs/heads/main', after = REV) => JSON.stringify({ ref, after, repository: { full_name: 'me/demo' } });
  const gh = (body: string, id: string, event = 'push', sig = signGitHub(secret, body)) =>
    hook(h, 'demo', body, { 'x-github-event': event, 'x-github-delivery': id, 'x-hub-signature-256': sig });

  // A ping answers OK and queues nothing; a push to the deploy branch queues one fetch.
  assert.deepEqual([(await gh('{"zen":"hi"}', 'ping-1', 'ping')).status, (await queued(h)).length], [200, 0]);
  const ok = await gh(push(), 'd-1');
  assert.equal(ok.status, 202, JSON.stringify(ok.body));
  assert.equal(ok.body.outcome, 'queued');
  const [event] = await queued(h);
  assert.deepEqual({ ...event, deliveryId: undefined }, { v: 1, deliveryId: undefined, app: 'demo', ref: 'refs/heads/main', newRev: REV });

  // Refused: replay (same delivery id, even correctly signed), wrong or missing signature, a signature of other bytes.
  assert.equal((await gh(push(), 'd-1')).body.error?.code, 'E_WEBHOOK_REPLAY');
  assert.equal((await gh(push(), 'd-1')).status, 409);
  const bad = await gh(push(), 'd-2', 'push', signGitHub('wrong-secret', push()));
  assert.deepEqual([bad.status, bad.body.error?.code], [401, 'E_WEBHOOK_SIGNATURE']);
  assert.equal((await gh(push(), 'd-3', 'push', '')).status, 401);
  assert.equal((await gh(push(), 'd-4', 'push', signGitHub(secret, push() + ' '))).status, 401);
  assert.equal((await gh(push(), 'd-5', 'push', 'sha1=' + 'a'.repeat(40))).status, 401);
  // Ignored with 202: other branches, deletions, other events.
  const other = await gh(push('refs/heads/feature-x'), 'd-6');
  assert.deepEqual([other.status, other.body.message], [202, 'ignored: branch feature-x is not the deploy branch (main)']);
  assert.equal((await gh(push('refs/heads/main', '0'.repeat(40)), 'd-7')).body.outcome, 'ignored');
  assert.equal((await gh('{"action":"opened"}', 'd-8', 'pull_request')).body.outcome, 'ignored');
  assert.equal((await gh(push('refs/tags/v1'), 'd-9')).body.error?.code, 'E_WEBHOOK_INVALID');
  assert.equal((await gh(push(), '')).body.error?.code, 'E_WEBHOOK_INVALID');
  // Over the size limit: 413 with the JSON error, before any signature work; at the limit it is read (and verified).
  const huge = JSON.stringify({ ref: 'refs/heads/main', after: REV, pad: 'x'.repeat(WEBHOOK_BODY_LIMIT) });
  const over = await gh(huge, 'd-10');
  assert.deepEqual([over.status, over.body.error?.code], [413, 'E_INPUT_TOO_LARGE']);
  const exact = push().slice(0, -1) + ',"pad":"' + 'x'.repeat(WEBHOOK_BODY_LIMIT - push().length - 9) + '"}';
  assert.equal(exact.length, WEBHOOK_BODY_LIMIT);
  assert.equal((await gh(exact, 'd-11')).status, 202);
  const oneOver = exact.slice(0, -2) + 'x"}';
  assert.equal(oneOver.length, WEBHOOK_BODY_LIMIT + 1);
  assert.equal((await gh(oneOver, 'd-12')).status, 413);
  // Unknown or unconnected apps, and a hostile name, answer exactly as a wrong signature does (no app-name probing).
  const wrong = await gh(push(), 'd-13', 'push', signGitHub('guess', push()));
  await createAppAs(await signUp(h, 'third@example.com'), 'unhooked');
  assert.equal((await hook(h, '%2e%2e', push(), {})).status, 404, 'a dot-dot path is no webhook route at all');
  for (const app of ['nope', 'unhooked', 'Bad..Name', 'x'.repeat(64)]) {
    const r = await hook(h, app, push(), { 'x-github-event': 'push', 'x-github-delivery': 'x', 'x-hub-signature-256': signGitHub(secret, push()) });
    assert.deepEqual([r.status, r.body], [wrong.status, wrong.body], app);
  }
  assert.deepEqual([wrong.status, wrong.body.error?.code], [401, 'E_WEBHOOK_SIGNATURE']);
  assert.equal((await queued(h)).length, 2, 'only d-1 and d-11 queued a fetch');

  // Gitea / Forgejo: bare hex HMAC in X-Gitea-Signature (or X-Forgejo-Signature).
  const giteaSig = (body: string, s = secret) => crypto.createHmac('sha256', s).update(body).digest('hex');
  const gitea = await hook(h, 'demo', push(), { 'x-gitea-event': 'push', 'x-gitea-delivery': 'g-1', 'x-gitea-signature': giteaSig(push()) });
  assert.equal(gitea.status, 202, JSON.stringify(gitea.body));
  const forgejo = await hook(h, 'demo', push(), { 'x-forgejo-event': 'push', 'x-forgejo-delivery': 'f-1', 'x-forgejo-signature': giteaSig(push()) });
  assert.equal(forgejo.status, 202);
  assert.equal((await hook(h, 'demo', push(), { 'x-gitea-event': 'push', 'x-gitea-delivery': 'g-2', 'x-gitea-signature': giteaSig(push(), 'nope') })).status, 401);
  // Generic: X-Paas-Signature-256 (as GitHub's) and X-Paas-Delivery, body {ref, after}.
  const generic = await hook(h, 'demo', push(), { 'x-paas-delivery': 'p-1', 'x-paas-signature-256': signGitHub(secret, push()) });
  assert.equal(generic.status, 202);
  assert.equal((await hook(h, 'demo', push(), { 'x-paas-delivery': 'p-2' })).status, 401);
  assert.equal((await queued(h)).length, 5);

  const shown = await api('GET', '/api/apps/demo/source');
  assert.equal(shown.body.deliveries.length, 9, 'refused deliveries are not recorded: ping-1, d-1, d-6, d-7, d-8, d-11, g-1, f-1, p-1');
  assert.deepEqual(shown.body.deliveries.map((d: { id: string }) => d.id).slice(0, 3), ['p-1', 'f-1', 'g-1']);
});

test('redeliver: a failed delivery may run again under its id (once at a time); a succeeded or running one is a replay', async (t) => {
  const h = await startWeb(t);
  const api = await apiAs(h, 'owner@example.com', 'demo');
  const { body: src } = await api('PUT', '/api/apps/demo/source', { repoUrl: 'https://git.example.com/me/demo.git' });
  const body = JSON.stringify({ ref: 'refs/heads/main', after: REV });
  const gh = (id: string) => hook(h, 'demo', body, { 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': signGitHub(src.webhookSecret, body) });
  const outcome = (o: string) => h.db('webhook_deliveries').where({ delivery_id: 'r-1' }).update({ outcome: o, detail: `was ${o}` });
  assert.equal((await gh('r-1')).status, 202);
  for (const busy of ['queued', 'fetching', 'building', 'deployed']) {
    await outcome(busy);
    const r = await gh('r-1');
    assert.deepEqual([r.status, r.body.error?.code], [409, 'E_WEBHOOK_REPLAY'], busy);
  }
  await outcome('failed');
  const [first, second] = await Promise.all([gh('r-1'), gh('r-1')]);
  assert.deepEqual([first.status, second.status].sort(), [202, 409], 'two redeliveries at once run once');
  const rows = await h.db('webhook_deliveries').where({ delivery_id: 'r-1' }).select('id', 'outcome', 'detail');
  assert.equal(rows.length, 1, 'the same delivery row, taken again');
  assert.deepEqual([rows[0].outcome, rows[0].detail], ['queued', 'queued: aaaaaaa of main will be fetched and deployed (redelivered after a failure)']);
  assert.deepEqual((await queued(h)).map((e) => e.deliveryId), [rows[0].id, rows[0].id], 'one fetch per run');
});

test('project roles: a viewer sees neither the secret nor the deploy key nor the deliveries; a member deploys and sees them', async (t) => {
  const h = await startWeb(t);
  const owner = await apiAs(h, 'owner@example.com', 'demo');
  const { body: src } = await owner('PUT', '/api/apps/demo/source', { repoUrl: 'https://git.example.com/me/demo.git' });
  const ownerUser = await getUserByEmail(h.db, 'owner@example.com');
  const actor = { kind: 'user' as const, user: ownerUser };
  await createProject(h.db, ownerUser, 'team');
  await addAppToProject(h.db, actor, 'team', 'demo');
  let viewerPage: Browser | undefined;
  const viewer = await apiAs(h, 'viewer@example.com', undefined, (b) => { viewerPage = b; });
  const member = await apiAs(h, 'member@example.com');
  await setProjectMember(h.db, actor, 'team', 'viewer@example.com', 'viewer');
  await setProjectMember(h.db, actor, 'team', 'member@example.com', 'member');
  assert.equal((await viewer('GET', '/api/apps/demo')).status, 200, 'the viewer reads the app');
  for (const [method, payload] of [['GET'], ['PUT', { repoUrl: 'https://x.example/a.git' }], ['DELETE']] as const) {
    const r = await viewer(method, '/api/apps/demo/source', payload);
    assert.deepEqual([r.status, r.body.error?.code], [403, 'E_FORBIDDEN'], method);
    assert.match(r.body.error.message, /hold its webhook secret: they need deploy access/);
  }
  const page = await viewerPage!.get('/apps/demo/source');
  assert.equal(page.status, 403);
  assert.equal(page.body.includes(src.webhookSecret) || page.body.includes(src.deployKey.split(' ')[1]), false, 'the tab shows the viewer nothing of the source');
  assert.equal((await viewerPage!.post('/apps/demo/source/disconnect', {})).status, 403);
  const seen = await member('GET', '/api/apps/demo/source');
  assert.deepEqual([seen.status, seen.body.webhookSecret, seen.body.deployKey], [200, src.webhookSecret, src.deployKey]);
  assert.equal(JSON.stringify(seen.body).includes('PRIVATE'), false, 'the private half is never sent');
  assert.equal((await member('PUT', '/api/apps/demo/source', { repoUrl: 'https://git.example.com/me/demo2.git' })).status, 200);
  assert.equal((await h.db('app_sources').first('repo_url')).repo_url, 'https://git.example.com/me/demo2.git');
});
