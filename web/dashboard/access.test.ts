// web/dashboard/access.test.ts — every app page, form and websocket checks the session and the user's access:
// another user's app answers 404 exactly like a missing one, collaborators cannot manage access or destroy, and
// signed-out browsers are sent to /signin (pages) or refused (websockets).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAs, releaseBuild, SAME_ORIGIN, signUp, startWeb } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';

const PAGES = ['', '/activity', '/builds/1', '/config', '/config?reveal=SECRET', '/config/SECRET/reveal', '/config/SECRET/remove',
  '/processes', '/domains', '/logs', '/metrics', '/metrics?window=24h', '/metrics/charts', '/access', '/access/remove?email=x%40example.com', '/settings',
  '/releases/1/rollback', '/certs/remove', '/source'];
const POSTS: Array<[string, Record<string, string>]> = [
  ['/config', { key: 'X', value: '1' }], ['/config/SECRET/remove', {}], ['/processes', { qty_web: '2' }], ['/domains', { hostname: 'a.example.com' }],
  ['/access', { email: 'mallory@example.com' }], ['/access/remove', { email: 'x@example.com' }], ['/destroy', { confirm: 'secret-app' }],
  ['/releases/1/rollback', {}], ['/certs', { cert: 'x', key: 'y' }], ['/certs/remove', {}], ['/https', { option: 'hsts', value: 'on' }],
  ['/source', { repoUrl: 'https://example.com/a.git' }], ['/source/disconnect', {}],
];
const SOCKETS = ['/builds/1/live', '/logs/live', '/live'];

test("another user's app answers 404 on every page, form and websocket, exactly like a missing app", async (t) => {
  const h = await startWeb(t);
  const alice = await signUp(h, 'alice@example.com'); // the first user is admin: mallory below is a plain user
  const mallory = await signUp(h, 'mallory@example.com');
  await createAppAs(alice, 'secret-app');
  await alice.post('/apps/secret-app/config', { key: 'SECRET', value: 'hunter2' });
  await releaseBuild(h, 'secret-app', await insertBuild(h.db, 'secret-app', { status: 'succeeded', lines: ['private build line'] }));
  await mallory.get('/apps');
  for (const page of PAGES) {
    const theirs = await mallory.get(`/apps/secret-app${page}`);
    const missing = await mallory.get(`/apps/no-such-app${page}`);
    assert.equal(theirs.status, 404, page);
    assert.match(theirs.body, /E_APP_NOT_FOUND/, page);
    assert.equal(theirs.body.replaceAll('secret-app', 'NAME').replace(/"X-CSRF-Token": "[^"]+"/, ''), missing.body.replaceAll('no-such-app', 'NAME').replace(/"X-CSRF-Token": "[^"]+"/, ''), page);
    assert.doesNotMatch(theirs.body, /hunter2|private build line/);
  }
  for (const [url, form] of POSTS) {
    const r = await mallory.post(`/apps/secret-app${url}`, form);
    assert.equal(r.status, 404, url);
  }
  for (const socket of SOCKETS) {
    await assert.rejects(h.app.injectWS(`/apps/secret-app${socket}`, { headers: { cookie: mallory.cookieHeader, ...SAME_ORIGIN } }), /Unexpected server response: 404/, socket);
    await assert.rejects(h.app.injectWS(`/apps/secret-app${socket}`, { headers: { ...SAME_ORIGIN } }), /Unexpected server response: 401/, socket);
    const ws = await h.app.injectWS(`/apps/secret-app${socket}`, { headers: { cookie: alice.cookieHeader, ...SAME_ORIGIN } });
    ws.terminate();
  }
  assert.doesNotMatch((await mallory.get('/apps')).body, /secret-app/);
  const app = await h.db('apps').where({ name: 'secret-app' }).first();
  assert.deepEqual(app.config, { SECRET: 'hunter2' });
});

test('signed-out browsers are sent to /signin from every page', async (t) => {
  const h = await startWeb(t);
  const alice = await signUp(h, 'alice@example.com');
  await createAppAs(alice, 'demo');
  for (const url of ['/apps', '/apps/demo', '/apps/demo/config', '/account/keys', '/account/tokens', '/account/password', '/admin']) {
    const r = await h.app.inject({ url, headers: { accept: 'text/html' } });
    assert.equal(r.statusCode, 303, url);
    assert.equal(r.headers.location, `/signin?next=${encodeURIComponent(url)}`);
  }
  const htmx = await h.app.inject({ url: '/apps/demo', headers: { 'hx-request': 'true' } });
  assert.equal(htmx.headers['hx-redirect'], '/signin');
});

test('collaborators use the app but only the owner manages collaborators and destroys it', async (t) => {
  const h = await startWeb(t);
  await signUp(h, 'admin@example.com');
  const owner = await signUp(h, 'owner@example.com');
  const carol = await signUp(h, 'carol@example.com');
  await signUp(h, 'dave@example.com');
  await createAppAs(owner, 'shared');
  await owner.get('/apps/shared/access');
  assert.equal((await owner.post('/apps/shared/access', { email: 'carol@example.com' })).status, 303);
  const page = await carol.get('/apps/shared/access');
  assert.equal(page.status, 200);
  assert.match(page.body, /Only the owner of shared \(or an owner of its project\) can add or remove collaborators/);
  assert.doesNotMatch(page.body, /action="\/apps\/shared\/access"/);
  const add = await carol.post('/apps/shared/access', { email: 'dave@example.com' });
  assert.equal(add.status, 403);
  assert.match(add.body, /E_FORBIDDEN/);
  assert.equal((await carol.post('/apps/shared/destroy', { confirm: 'shared' })).status, 403);
  assert.equal((await carol.post('/apps/shared/config', { key: 'FROM_CAROL', value: 'yes' })).status, 303, 'collaborators manage config');
  assert.match((await carol.get('/apps')).body, /href="\/apps\/shared"/);
  await owner.get('/apps/shared/access');
  assert.equal((await owner.post('/apps/shared/access/remove', { email: 'carol@example.com' })).status, 303);
  assert.equal((await carol.get('/apps/shared')).status, 404, 'a removed collaborator loses the app at once');
});

test('only admins see /admin and change users; nobody can demote or disable themselves', async (t) => {
  const h = await startWeb(t);
  const admin = await signUp(h, 'admin@example.com');
  const bob = await signUp(h, 'bob@example.com');
  const adminId = (await h.db('users').where({ email: 'admin@example.com' }).first('id')).id;
  const bobId = (await h.db('users').where({ email: 'bob@example.com' }).first('id')).id;
  await bob.get('/apps');
  assert.equal((await bob.post(`/admin/users/${adminId}`, { action: 'disable' })).status, 404);
  assert.equal((await bob.post('/admin/signups', { open: 'false' })).status, 404);
  await admin.get('/admin');
  const self = await admin.post(`/admin/users/${adminId}`, { action: 'revoke-admin' });
  assert.equal(self.status, 403);
  assert.match(self.body, /E_FORBIDDEN/);
  assert.equal((await admin.post(`/admin/users/${bobId}`, { action: 'make-admin' })).status, 303);
  assert.equal((await bob.get('/admin')).status, 200, 'the new role applies to the existing session');
  assert.equal((await admin.post(`/admin/users/${bobId}`, { action: 'nonsense' })).status, 400);
});
