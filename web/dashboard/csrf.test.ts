// web/dashboard/csrf.test.ts — every state-changing route refuses a form without this browser's CSRF token
// (E_CSRF, 403) and changes nothing; htmx's X-CSRF-Token header is accepted in place of the form field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keygen } from '../../test/support/keys.ts';
import { Browser, createAppAs, releaseBuild, signUp, startWeb, type Harness } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';

/** Everything a forged POST could change. */
async function snapshot(h: Harness): Promise<unknown> {
  const tables = ['users', 'ssh_keys', 'api_tokens', 'apps', 'releases', 'domains', 'collaborators', 'sessions', 'settings', 'certificates', 'projects', 'project_members'];
  const counts = await Promise.all(tables.map(async (t) => [t, Number((await h.db(t).count({ n: '*' }).first())!.n)]));
  const apps = await h.db('apps').orderBy('id').select('name', 'config', 'formation', 'project_id');
  const users = await h.db('users').orderBy('id').select('email', 'is_admin', 'disabled', 'password_hash');
  const tokens = await h.db('api_tokens').orderBy('id').select('revoked_at');
  return { counts: Object.fromEntries(counts), apps, users, tokens };
}

test('every dashboard POST without a valid token is refused with E_CSRF and changes nothing', async (t) => {
  const h = await startWeb(t);
  const admin = await signUp(h, 'admin@example.com');
  const bob = await signUp(h, 'bob@example.com');
  await createAppAs(admin, 'demo');
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csrf-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const key = fs.readFileSync(`${keygen(dir, 'k', 'ed25519')}.pub`, 'utf8');
  await admin.get('/account/keys');
  await admin.post('/account/keys', { key });
  await admin.post('/account/tokens', { description: 'ci' });
  await admin.post('/apps/demo/config', { key: 'A', value: '1' });
  await admin.post('/apps/demo/domains', { hostname: 'www.example.com' });
  await admin.post('/apps/demo/access', { email: 'bob@example.com' });
  await admin.post('/projects', { name: 'team' });
  await admin.post('/projects/team/members', { email: 'bob@example.com', role: 'viewer' });
  const keyId = (await h.db('ssh_keys').first('id')).id;
  const tokenId = (await h.db('api_tokens').first('id')).id;
  const bobId = (await h.db('users').where({ email: 'bob@example.com' }).first('id')).id;
  const before = await snapshot(h);

  const forms: Array<[string, Record<string, string>]> = [
    ['/signout', {}], ['/account/keys', { key }], [`/account/keys/${keyId}/remove`, {}], ['/account/tokens', {}],
    [`/account/tokens/${tokenId}/revoke`, {}], ['/account/password', { current: 'correct-horse-battery', new: 'xxxxxxxxxx', confirm: 'xxxxxxxxxx' }],
    ['/apps', { name: 'forged' }], ['/apps/demo/releases/1/rollback', {}], ['/apps/demo/config', { key: 'B', value: '2' }],
    ['/apps/demo/config/A/remove', {}], ['/apps/demo/processes', { qty_web: '3' }], ['/apps/demo/domains', { hostname: 'evil.example.com' }],
    ['/apps/demo/domains/remove', { hostname: 'www.example.com' }], ['/apps/demo/access', { email: 'admin@example.com' }],
    ['/apps/demo/access/remove', { email: 'bob@example.com' }], ['/apps/demo/destroy', { confirm: 'demo' }],
    ['/apps/demo/certs', { cert: 'x', key: 'y' }], ['/apps/demo/certs/remove', {}], ['/apps/demo/https', { option: 'redirect', value: 'on' }],
    [`/admin/users/${bobId}`, { action: 'make-admin' }], ['/admin/signups', { open: 'false' }],
    ['/projects', { name: 'forged' }], ['/projects/team/apps', { app: 'demo' }], ['/projects/team/members', { email: 'bob@example.com', role: 'owner' }],
    ['/projects/team/members/remove', { email: 'bob@example.com' }],
  ];
  const bobToken = (await bob.get('/apps'), bob.csrf);
  for (const [url, form] of forms) {
    for (const token of [undefined, '', 'x'.repeat(43), bobToken]) {
      const body = token === undefined ? form : { ...form, _csrf: token };
      const r = await admin.request('POST', url, { form: body });
      assert.equal(r.status, 403, `${url} with token ${String(token).slice(0, 8)}: ${r.status}`);
      assert.match(r.body, /E_CSRF/, url);
    }
  }
  assert.deepEqual(await snapshot(h), before);

  await admin.get('/apps');
  const viaHeader = await admin.request('POST', '/apps', { form: { name: 'via-htmx' }, headers: { 'x-csrf-token': admin.csrf, 'hx-request': 'true', 'hx-boosted': 'true' } });
  assert.equal(viaHeader.status, 303, 'htmx sends the token as X-CSRF-Token');
});

test('sign-in and sign-up forms need the anonymous CSRF cookie token too', async (t) => {
  const h = await startWeb(t);
  await signUp(h, 'a@example.com');
  const b = new Browser(h);
  const noCookie = await b.request('POST', '/signin', { form: { email: 'a@example.com', password: 'correct-horse-battery', _csrf: 'x'.repeat(43) } });
  assert.equal(noCookie.status, 403);
  assert.match(noCookie.body, /E_CSRF/);
  const signup = await b.request('POST', '/signup', { form: { email: 'c@example.com', password: 'correct-horse-battery' } });
  assert.equal(signup.status, 403);
  assert.equal(await h.db('users').where({ email: 'c@example.com' }).first(), undefined);
});
