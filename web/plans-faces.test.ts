// web/plans-faces.test.ts — plans and usage through inject(): /api/plans (admins change, others are refused; hostile
// limits get E_PLAN_INVALID), /api/usage, /api/admin/usage; the dashboard's usage page (a meter per limit) and the
// admin's list sorted by column through links (no JS), and the dashboard's create app refused at the plan's limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken } from '../core/accounts/users.ts';
import { createAppAs, signUp, startWeb, type Harness } from '../test/support/dashboard.ts';

async function caller(h: Harness, email: string) {
  const { id } = await h.db('users').where({ email }).first('id');
  const token = await createToken(h.db, id);
  return async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) => {
    const res = await h.app.inject({
      method, url, payload: payload === undefined ? undefined : JSON.stringify(payload),
      headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
    });
    return { status: res.statusCode, body: res.body ? res.json() : undefined };
  };
}

test('the plans API: admins define and assign plans, users read them and their own usage; limits bite in the dashboard', async (t) => {
  const h = await startWeb(t);
  const admin = await signUp(h, 'admin@example.com');
  const user = await signUp(h, 'user@example.com');
  const [asAdmin, asUser] = [await caller(h, 'admin@example.com'), await caller(h, 'user@example.com')];
  const created = await asAdmin('POST', '/api/plans', { name: 'hobby', maxApps: 1, buildMinutes: '0.5', maxMemoryMb: 256, isDefault: true });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body, { name: 'hobby', maxApps: 1, maxInstances: null, maxMemoryMb: 256, buildMinutes: 0.5, maxDiskMb: null, isDefault: true });
  assert.equal((await asUser('POST', '/api/plans', { name: 'mine' })).body.error.code, 'E_FORBIDDEN');
  for (const bad of [-1, 1.5, '1e9', 'lots', true]) {
    const r = await asAdmin('PATCH', '/api/plans/hobby', { maxApps: bad });
    assert.ok(r.status === 400 && ['E_PLAN_INVALID', 'E_BAD_REQUEST'].includes(r.body.error.code), `${bad}: ${JSON.stringify(r.body)}`);
  }
  assert.equal((await asAdmin('PATCH', '/api/plans/..%2Fetc', { maxApps: 1 })).body.error.code, 'E_PLAN_INVALID');
  assert.deepEqual((await asUser('GET', '/api/plans')).body.map((p: { name: string }) => p.name), ['hobby']);

  await createAppAs(user, 'first-app');
  const refused = await user.post('/apps', { name: 'second-app' });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /Plan &quot;hobby&quot; allows 1 app; you own 1\. Destroy one or ask an admin for a larger plan/);
  const own = await asUser('GET', '/api/usage');
  assert.deepEqual([own.body.plan, own.body.apps, own.body.memoryMb.limit], ['hobby', { used: 1, limit: 1 }, 256]);
  assert.equal((await asUser('GET', '/api/admin/usage')).body.error.code, 'E_FORBIDDEN');

  const page = await user.get('/account/usage');
  assert.equal(page.status, 200);
  assert.match(page.body, /<meter min="0" max="1" value="1" high="1" aria-label="Apps">100%<\/meter> 1 of 1 <span class="badge danger">limit reached<\/span>/);
  assert.match(page.body, /<meter min="0" max="0.5" value="0" high="0.5" aria-label="Build minutes this month \(UTC\)">0%<\/meter> 0 of 0.5/);
  assert.match(page.body, /Memory per process: 256 MB/);

  await asAdmin('POST', '/api/plans', { name: 'big', maxApps: 10 });
  assert.equal((await asAdmin('POST', '/api/plans/big/assign', { user: 'admin@example.com' })).status, 200);
  await createAppAs(admin, 'admin-a');
  await createAppAs(admin, 'admin-b');
  assert.equal((await user.get('/admin/usage')).status, 404, 'not advertised to users');
  const byApps = await admin.get('/admin/usage?sort=apps&dir=desc');
  const emails = [...byApps.body.matchAll(/<tr><td>([^<]+@example\.com)<\/td>/g)].map((m) => m[1]);
  assert.deepEqual(emails, ['admin@example.com', 'user@example.com']);
  assert.match(byApps.body, /<th scope="col" aria-sort="descending"><a href="\/admin\/usage\?sort=apps&amp;dir=asc">Apps<\/a><\/th>/);
  const byEmail = await admin.get('/admin/usage?sort=email&dir=desc');
  assert.deepEqual([...byEmail.body.matchAll(/<tr><td>([^<]+@example\.com)<\/td>/g)].map((m) => m[1]), ['user@example.com', 'admin@example.com']);
  const hostile = await admin.get('/admin/usage?sort=%3Cscript%3E&dir=x');
  assert.equal(hostile.status, 200);
  assert.ok(!hostile.body.includes('<script>'));
  const api = await asAdmin('GET', '/api/admin/usage?sort=apps&dir=desc');
  assert.deepEqual(api.body.map((u: { email: string }) => u.email), ['admin@example.com', 'user@example.com']);
  assert.equal((await asAdmin('DELETE', '/api/plans/big')).status, 204);
});
