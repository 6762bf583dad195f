// web/api-webhooks.test.ts — the outgoing webhooks API through inject(): add (the secret once), list (never the
// secret), remove, the delivery log and redeliver; another user's app answers like a missing one; hostile URLs and
// SSRF targets are refused at registration with stable codes, each limit at its boundary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken } from '../core/accounts/users.ts';
import { MAX_HOOKS_PER_APP } from '../services/webhooks.ts';
import { createAppAs, signUp, startWeb, type Harness } from '../test/support/dashboard.ts';

async function caller(h: Harness, email: string, app?: string) {
  const b = await signUp(h, email);
  if (app) await createAppAs(b, app);
  const { id } = await h.db('users').where({ email }).first('id');
  const token = await createToken(h.db, id);
  return async (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) => {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const res = await h.app.inject({ method, url, payload: body, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) } });
    return { status: res.statusCode, body: res.body ? res.json() : undefined, raw: res.body };
  };
}

const codeOf = (r: { status: number; body: { error?: { code: string } } }, status: number) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  return r.body.error?.code;
};

test('POST, GET and DELETE /api/apps/:app/webhooks, the delivery log and redeliver', async (t) => {
  const h = await startWeb(t);
  const api = await caller(h, 'a@example.com', 'demo');
  const added = await api('POST', '/api/apps/demo/webhooks', { url: 'https://93.184.216.34/hooks?x=1#frag', events: ['deploy.failed', 'push'] });
  assert.equal(added.status, 201, added.raw);
  assert.match(added.body.secret, /^[0-9a-f]{64}$/);
  assert.equal(added.body.url, 'https://93.184.216.34/hooks?x=1', 'the fragment is dropped');
  assert.deepEqual(added.body.events, ['push', 'deploy.failed']);
  const listed = await api('GET', '/api/apps/demo/webhooks');
  assert.deepEqual(listed.body.map((x: { id: number }) => x.id), [added.body.id]);
  assert.doesNotMatch(listed.raw, new RegExp(added.body.secret), 'the secret is shown once');
  const all = await api('POST', '/api/apps/demo/webhooks', { url: 'http://93.184.216.34/' });
  assert.deepEqual(all.body.events, ['push', 'release.created', 'deploy.succeeded', 'deploy.failed']);
  // A delivery as the controller writes it, then the log and a redelivery.
  await h.db('webhook_deliveries_out').insert({ id: '00000000-0000-4000-8000-000000000001', webhook_id: added.body.id, event: 'push', event_key: 'push:x', payload: '{"event":"push"}', status: 'failed', attempt: 6, response_code: 500, error: 'HTTP 500' });
  const log = await api('GET', `/api/apps/demo/webhooks/${added.body.id}/deliveries`);
  assert.deepEqual(log.body.map((d: { event: string; status: string; attempts: number; responseCode: number }) => [d.event, d.status, d.attempts, d.responseCode]), [['push', 'failed', 6, 500]]);
  assert.equal((await api('GET', `/api/apps/demo/webhooks/${all.body.id}/deliveries`)).body.length, 0);
  const again = await api('POST', '/api/apps/demo/webhooks/deliveries/00000000-0000-4000-8000-000000000001/redeliver');
  assert.equal(again.status, 202, again.raw);
  const both = await api('GET', '/api/apps/demo/webhooks/deliveries');
  assert.deepEqual(both.body.map((d: { id: string; status: string }) => d.status).sort(), ['failed', 'pending']);
  assert.equal((await api('DELETE', `/api/apps/demo/webhooks/${added.body.id}`)).status, 204);
  assert.equal(codeOf(await api('DELETE', `/api/apps/demo/webhooks/${added.body.id}`), 404), 'E_HOOK_NOT_FOUND');
  assert.equal((await api('GET', '/api/apps/demo/webhooks/deliveries')).body.length, 0, 'its log went with it');
});

test("hostile: another user's app, bad URLs, SSRF targets, unknown events, the hook cap", async (t) => {
  const h = await startWeb(t);
  const alice = await caller(h, 'alice@example.com', 'alpha');
  const mallory = await caller(h, 'mallory@example.com');
  const hook = (await alice('POST', '/api/apps/alpha/webhooks', { url: 'http://93.184.216.34/' })).body;
  for (const [method, url, body] of [['GET', '/api/apps/alpha/webhooks', undefined], ['POST', '/api/apps/alpha/webhooks', { url: 'http://93.184.216.34/' }],
    ['DELETE', `/api/apps/alpha/webhooks/${hook.id}`, undefined], ['GET', '/api/apps/alpha/webhooks/deliveries', undefined],
    ['GET', `/api/apps/alpha/webhooks/${hook.id}/deliveries`, undefined]] as const) {
    assert.equal(codeOf(await mallory(method, url, body), 404), 'E_APP_NOT_FOUND', `${method} ${url}`);
  }
  const refused = ['http://127.0.0.1:5000/', 'http://localhost/', 'http://[::1]/', 'http://10.0.0.8/', 'http://192.168.1.1/', 'http://172.16.0.1/',
    'http://169.254.169.254/latest/meta-data/', 'http://[::ffff:127.0.0.1]/', 'http://[fe80::1]/', 'http://100.64.0.1/', 'http://0.0.0.0/',
    'http://2130706433/', 'http://0x7f.1/', 'http://[fd00:ec2::254]/'];
  for (const url of refused) assert.equal(codeOf(await alice('POST', '/api/apps/alpha/webhooks', { url }), 400), 'E_HOOK_URL_REFUSED', url);
  const invalid = ['ftp://93.184.216.34/', 'file:///etc/passwd', 'javascript:alert(1)', 'gopher://93.184.216.34:25/', 'http://user:pw@93.184.216.34/',
    'not a url', '', `http://93.184.216.34/${'a'.repeat(2048)}`, 'http://93.184.216.34/a\nb', 'http://no-such-host.invalid/'];
  for (const url of invalid) assert.equal(codeOf(await alice('POST', '/api/apps/alpha/webhooks', { url }), 400), 'E_HOOK_URL_INVALID', JSON.stringify(url).slice(0, 60));
  const longest = `http://93.184.216.34/${'a'.repeat(2048 - 'http://93.184.216.34/'.length)}`;
  assert.equal((await alice('POST', '/api/apps/alpha/webhooks', { url: longest })).status, 201, 'a URL of exactly 2048 characters is taken');
  assert.equal(codeOf(await alice('POST', '/api/apps/alpha/webhooks', { url: 'http://93.184.216.34/', events: ['deploy.started'] }), 400), 'E_HOOK_EVENTS_INVALID');
  assert.equal(codeOf(await alice('POST', '/api/apps/alpha/webhooks', { url: 'http://93.184.216.34/', events: 'push' }), 400), 'E_HOOK_EVENTS_INVALID');
  assert.equal(codeOf(await alice('POST', '/api/apps/alpha/webhooks', { url: 42 }), 400), 'E_HOOK_URL_INVALID');
  assert.equal(codeOf(await alice('DELETE', '/api/apps/alpha/webhooks/1%20OR%201=1'), 404), 'E_HOOK_NOT_FOUND');
  assert.equal(codeOf(await alice('POST', '/api/apps/alpha/webhooks/deliveries/nope/redeliver'), 404), 'E_HOOK_NOT_FOUND');
  for (let n = 2; n < MAX_HOOKS_PER_APP; n++) assert.equal((await alice('POST', '/api/apps/alpha/webhooks', { url: `http://93.184.216.34/${n}` })).status, 201);
  assert.equal(codeOf(await alice('POST', '/api/apps/alpha/webhooks', { url: 'http://93.184.216.34/one-too-many' }), 409), 'E_HOOK_LIMIT');
});

test('PAAS_WEBHOOKS_ALLOW_PRIVATE=true lets an operator allow private targets, never the metadata address', async (t) => {
  const h = await startWeb(t, { PAAS_WEBHOOKS_ALLOW_PRIVATE: 'true' });
  const api = await caller(h, 'a@example.com', 'demo');
  assert.equal((await api('POST', '/api/apps/demo/webhooks', { url: 'http://127.0.0.1:9/' })).status, 201);
  assert.equal((await api('POST', '/api/apps/demo/webhooks', { url: 'http://10.1.2.3/' })).status, 201);
  assert.equal(codeOf(await api('POST', '/api/apps/demo/webhooks', { url: 'http://169.254.169.254/' }), 400), 'E_HOOK_URL_REFUSED');
});
