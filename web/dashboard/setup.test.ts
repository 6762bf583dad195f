// web/dashboard/setup.test.ts — first run and who may join, through the dashboard's routes (inject, real
// PostgreSQL): the one-time set-up link, admins' invite links (single use, expiry, revocation), and single-tenant
// mode (sign-ups closed whatever the setting, only admins create apps, /readyz and the admin page say so).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueSetupToken } from '../../core/accounts/invites.ts';
import { createToken } from '../../core/accounts/users.ts';
import { Browser, signUp, startWeb, type Harness } from '../../test/support/dashboard.ts';

const PW = 'correct-horse-battery';
const text = (html: string) => html.replaceAll('&#x3D;', '=');
const alert = (body: string) => text(/<div class="alert alert-error"[^>]*>(.*?)<\/div>/s.exec(body)?.[1] ?? body.slice(0, 300));

/** An admin's new invite link, as the admin page shows it once; returns its path. */
async function inviteLink(admin: Browser): Promise<string> {
  await admin.get('/admin');
  const page = await admin.post('/admin/invites', { hours: '24' });
  assert.equal(page.status, 200, page.body.slice(0, 300));
  const link = /<code id="invite-link">https?:\/\/[^/]+(\/signup\?invite=[\w-]+)<\/code>/.exec(page.body)?.[1];
  assert.ok(link, 'the page shows the link');
  return link;
}

/** Signs up on an invite link; returns the answer to the POST. */
async function signUpWith(h: Harness, link: string, email: string) {
  const b = new Browser(h);
  const page = await b.get(link);
  if (page.status !== 200) return page;
  return b.post('/signup', { email, password: PW, invite: link.split('=')[1]! });
}

test('only the set-up link makes the first admin: a wrong or old token is refused, the link works once, then /setup is gone', async (t) => {
  const h = await startWeb(t);
  const old = (await issueSetupToken(h.db))!;
  const token = (await issueSetupToken(h.db))!; // a restart prints a new link; the old one stops working
  const b = new Browser(h);
  const early = await b.get('/signup');
  assert.match(early.body, /This platform has no admin yet. Open the one-time set-up link/);
  await b.get('/signin');
  const visitor = await b.post('/signup', { email: 'early@example.com', password: PW });
  assert.equal(visitor.status, 403);
  assert.match(alert(visitor.body), /no admin yet.*E_SETUP_REQUIRED/s);
  for (const bad of ['', 'x'.repeat(43), old]) {
    const page = await b.get(`/setup?token=${bad}`);
    assert.equal(page.status, 403, `token "${bad}"`);
    assert.match(page.body, /This set-up link is not valid/);
    assert.doesNotMatch(page.body, /action="\/setup"/);
  }
  const forged = await b.post('/setup', { email: 'forged@example.com', password: PW, token: old });
  assert.equal(forged.status, 403);
  assert.match(forged.body, /E_SETUP_TOKEN_INVALID/);
  assert.equal(await h.db('users').first(), undefined, 'no user was made by a refused attempt');

  const admin = new Browser(h);
  assert.match((await admin.get(`/setup?token=${token}`)).body, /action="\/setup"/);
  const made = await admin.post('/setup', { email: 'admin@example.com', password: PW, token });
  assert.equal(made.location, '/admin');
  assert.equal((await admin.get('/admin')).status, 200);
  const other = new Browser(h);
  assert.equal((await other.get(`/setup?token=${token}`)).status, 404, '/setup is gone once an admin exists');
  await other.get('/signin');
  assert.equal((await other.post('/setup', { email: 'second@example.com', password: PW, token })).status, 404);
  assert.deepEqual(await h.db('users').select('email', 'is_admin'), [{ email: 'admin@example.com', is_admin: true }]);
});

test('an invite link works once for a plain user; a used, wrong, expired or revoked one is refused with a clear page', async (t) => {
  const h = await startWeb(t);
  const admin = await signUp(h, 'admin@example.com');
  const link = await inviteLink(admin);
  assert.equal((await signUpWith(h, link, 'new@example.com')).status, 303);
  assert.equal((await h.db('users').where({ email: 'new@example.com' }).first()).is_admin, false);
  const again = await signUpWith(h, link, 'again@example.com');
  assert.equal(again.status, 403);
  assert.match(again.body, /This invite link is not valid: it was used already, it expired, or it was revoked/);
  assert.equal((await signUpWith(h, '/signup?invite=' + 'y'.repeat(43), 'wrong@example.com')).status, 403);

  const expiring = await inviteLink(admin);
  await h.db('invites').whereNull('used_at').update({ expires_at: new Date(Date.now() - 1000) });
  assert.equal((await signUpWith(h, expiring, 'late@example.com')).status, 403);

  const revoked = await inviteLink(admin);
  const page = await admin.get('/admin');
  const id = /action="\/admin\/invites\/(\d+)\/revoke"/.exec(page.body)?.[1];
  assert.equal((await admin.post(`/admin/invites/${id}/revoke`)).status, 303);
  assert.equal((await signUpWith(h, revoked, 'revoked@example.com')).status, 403);
  assert.deepEqual((await h.db('users').orderBy('id').select('email')).map((u) => u.email), ['admin@example.com', 'new@example.com']);

  const plain = await signUp(h, 'plain@example.com');
  assert.equal((await plain.post('/admin/invites', { hours: '24' })).status, 404, 'non-admins cannot invite');
});

test('single-tenant mode: sign-ups stay closed even when opened, only admins create apps, and /readyz and the admin page say so', async (t) => {
  const h = await startWeb(t, { PAAS_ISOLATION: 'none' });
  const admin = await signUp(h, 'admin@example.com');
  await admin.get('/admin');
  await admin.post('/admin/signups', { open: 'true' });
  const adminPage = await admin.get('/admin');
  assert.match(text(adminPage.body), /Single-tenant mode:<\/strong> apps run without a sandbox \(PAAS_ISOLATION=none\)/);
  assert.doesNotMatch(adminPage.body, /action="\/admin\/signups"/);
  const visitor = new Browser(h);
  assert.match((await visitor.get('/signup')).body, /Sign-ups are closed/);
  await visitor.get('/signin'); // a page with a form, for the CSRF token
  const refused = await visitor.post('/signup', { email: 'visitor@example.com', password: PW });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /E_SIGNUPS_CLOSED/);

  const bob = await signUp(h, 'bob@example.com'); // an admin's invite still works
  await bob.get('/apps');
  const viaPage = await bob.post('/apps', { name: 'bobs' });
  assert.equal(viaPage.status, 403);
  assert.match(alert(viaPage.body), /single-tenant mode \(PAAS_ISOLATION=none\): apps are not sandboxed, so only admins can create them.*E_SINGLE_TENANT/s);
  const { id } = await h.db('users').where({ email: 'bob@example.com' }).first('id');
  const api = await h.app.inject({ method: 'POST', url: '/api/apps', payload: { name: 'bobs' }, headers: { authorization: `Bearer ${await createToken(h.db, id)}` } });
  assert.equal(api.statusCode, 403);
  assert.equal(api.json().error.code, 'E_SINGLE_TENANT');
  assert.equal(await h.db('apps').first(), undefined);
  await admin.get('/apps');
  assert.equal((await admin.post('/apps', { name: 'mine' })).status, 303, 'admins still create apps');

  const ready = await h.app.inject({ url: '/readyz' });
  assert.deepEqual(ready.json(), { ok: true, isolation: { mode: 'none', reason: 'PAAS_ISOLATION=none' } });
});
