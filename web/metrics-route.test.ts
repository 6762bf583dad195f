// web/metrics-route.test.ts — GET /metrics on the web port: the metrics token (PAAS_METRICS_TOKEN) or an admin's API
// token reads it; hostile callers (no token, a wrong one, one of the same length, a non-admin's token) get the
// API's error shape with a stable code and no metric in the body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken, revokeToken } from '../core/accounts/users.ts';
import { signUp, startWeb, type Harness } from '../test/support/dashboard.ts';

const TOKEN = 'scrape-me-0123456789abcdef';

async function scrape(h: Harness, authorization?: string) {
  const res = await h.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });
  return { status: res.statusCode, body: res.body, type: String(res.headers['content-type']) };
}

/** A user's API token; `admin` sets the flag as an operator would. */
async function tokenOf(h: Harness, email: string, admin: boolean): Promise<string> {
  await signUp(h, email);
  await h.db('users').where({ email }).update({ is_admin: admin });
  const { id } = await h.db('users').where({ email }).first('id');
  return createToken(h.db, id);
}

test('GET /metrics answers the metrics token and an admin\'s API token with the Prometheus text', async (t) => {
  const h = await startWeb(t, { PAAS_METRICS_TOKEN: TOKEN });
  const byToken = await scrape(h, `Bearer ${TOKEN}`);
  assert.equal(byToken.status, 200, byToken.body);
  assert.match(byToken.type, /^text\/plain; version=0\.0\.4/);
  assert.match(byToken.body, /^# TYPE paas_pushes_total counter$/m);
  assert.match(byToken.body, /^# TYPE paas_app_request_duration_seconds histogram$/m);
  const admin = await tokenOf(h, 'root@example.com', true);
  assert.equal((await scrape(h, `Bearer ${admin}`)).status, 200);
});

test('hostile /metrics callers: no token, a wrong token, a same-length token and a non-admin token are refused', async (t) => {
  const h = await startWeb(t, { PAAS_METRICS_TOKEN: TOKEN });
  await tokenOf(h, 'root@example.com', true);
  const user = await tokenOf(h, 'user@example.com', false);
  const wrongSameLength = TOKEN.slice(0, -1) + (TOKEN.endsWith('f') ? 'e' : 'f');
  const cases: Array<[string | undefined, number, string]> = [
    [undefined, 401, 'E_UNAUTHENTICATED'], ['Bearer nope', 401, 'E_UNAUTHENTICATED'], [`Bearer ${wrongSameLength}`, 401, 'E_UNAUTHENTICATED'],
    [`Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, 401, 'E_UNAUTHENTICATED'], [`Bearer ${user}`, 403, 'E_FORBIDDEN'],
  ];
  for (const [authorization, status, code] of cases) {
    const r = await scrape(h, authorization);
    assert.equal(r.status, status, `${authorization}: ${r.body}`);
    const body = JSON.parse(r.body) as { error: { code: string; message: string } };
    assert.equal(body.error.code, code);
    assert.doesNotMatch(r.body, /paas_/);
  }
});

test('without PAAS_METRICS_TOKEN only an admin\'s token reads /metrics (an empty bearer matches nothing)', async (t) => {
  const h = await startWeb(t);
  assert.equal((await scrape(h, 'Bearer ')).status, 401);
  assert.equal((await scrape(h, 'Bearer undefined')).status, 401);
  assert.equal((await scrape(h, `Bearer ${await tokenOf(h, 'root@example.com', true)}`)).status, 200);
});

test('an admin\'s revoked API token and a disabled admin\'s token no longer read /metrics (401)', async (t) => {
  const h = await startWeb(t, { PAAS_METRICS_TOKEN: TOKEN });
  const revoked = await tokenOf(h, 'root@example.com', true);
  const disabled = await tokenOf(h, 'ops@example.com', true);
  assert.equal((await scrape(h, `Bearer ${revoked}`)).status, 200, 'the admin token works before it is revoked');
  assert.equal((await scrape(h, `Bearer ${disabled}`)).status, 200, 'the admin works before being disabled');
  const { id: rootId } = await h.db('users').where({ email: 'root@example.com' }).first('id');
  const { id: tokenId } = await h.db('api_tokens').where({ user_id: rootId }).first('id');
  await revokeToken(h.db, rootId, tokenId);
  await h.db('users').where({ email: 'ops@example.com' }).update({ disabled: true });
  for (const [name, token] of [['revoked', revoked], ['disabled', disabled]]) {
    const r = await scrape(h, `Bearer ${token}`);
    assert.equal(r.status, 401, `${name}: ${r.body}`);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'E_UNAUTHENTICATED');
    assert.doesNotMatch(r.body, /paas_/);
  }
});
