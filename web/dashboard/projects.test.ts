// web/dashboard/projects.test.ts — the Projects section and the role axis of the dashboard's and the API's access
// checks: a project made, filled and staffed in the browser (CSRF on every form, hostile names escaped); viewers read a
// project app (pages, the logs websocket) but change nothing and never see config values; members deploy; people
// outside the project get the 404 of a missing app or project, on pages, forms, websockets and the API alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken } from '../../core/accounts/users.ts';
import { createAppAs, releaseBuild, SAME_ORIGIN, signUp, startWeb, type Browser, type Harness } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';

const READ_PAGES = ['', '/activity', '/builds/1', '/config', '/processes', '/domains', '/logs', '/metrics', '/metrics/charts', '/access', '/settings'];
const POSTS: Array<[string, Record<string, string>]> = [
  ['/config', { key: 'X', value: '1' }], ['/config/SECRET/remove', {}], ['/processes', { qty_web: '2' }], ['/domains', { hostname: 'a.example.com' }],
  ['/access', { email: 'sam@example.com' }], ['/destroy', { confirm: 'shop' }], ['/releases/1/rollback', {}],
];

/** admin (first user), owner with the app shop in project team, mia a member, vic a viewer, sam outside. */
async function team(h: Harness): Promise<Record<'owner' | 'mia' | 'vic' | 'sam', Browser>> {
  await signUp(h, 'admin@example.com');
  const [owner, mia, vic, sam] = [await signUp(h, 'owner@example.com'), await signUp(h, 'mia@example.com'), await signUp(h, 'vic@example.com'), await signUp(h, 'sam@example.com')];
  await createAppAs(owner, 'shop');
  await owner.post('/apps/shop/config', { key: 'SECRET', value: 'hunter2' });
  await owner.get('/projects');
  assert.equal((await owner.post('/projects', { name: 'team' })).location, '/projects/team');
  const page = await owner.get('/projects/team');
  assert.match(page.body, /<option value="shop">shop<\/option>/);
  assert.equal((await owner.post('/projects/team/apps', { app: 'shop' })).status, 303);
  assert.equal((await owner.post('/projects/team/members', { email: 'mia@example.com', role: 'member' })).status, 303);
  assert.equal((await owner.post('/projects/team/members', { email: 'vic@example.com', role: 'viewer' })).status, 303);
  return { owner, mia, vic, sam };
}

test('a project in the browser: created, an app added, members with roles; forms need the CSRF token; hostile input escaped', async (t) => {
  const h = await startWeb(t);
  const { owner, mia, sam } = await team(h);
  const page = await owner.get('/projects/team');
  assert.match(page.body, /href="\/apps\/shop"/);
  assert.match(page.body, /mia@example\.com<\/td>\s*<td>member/);
  assert.match(page.body, /vic@example\.com<\/td>\s*<td>viewer/);
  assert.match((await owner.get('/projects')).body, /href="\/projects\/team"/);
  assert.match((await mia.get('/apps/shop/activity')).body, /<a href="\/projects">Projects<\/a> <span aria-hidden="true">\/<\/span> <a href="\/projects\/team" id="app-project">team<\/a>/, "an app page's crumbs name its project");
  const hostile = await owner.post('/projects', { name: '<script>alert(1)</script>' });
  assert.equal(hostile.status, 400);
  assert.match(hostile.body, /E_PROJECT_NAME_INVALID/);
  assert.doesNotMatch(hostile.body, /<script>alert/);
  const role = await owner.post('/projects/team/members', { email: 'sam@example.com', role: 'admin' });
  assert.equal(role.status, 400);
  assert.match(role.body, /E_PROJECT_ROLE_INVALID/);
  const last = await owner.post('/projects/team/members/remove', { email: 'owner@example.com' });
  assert.equal(last.status, 409);
  assert.match(last.body, /E_PROJECT_LAST_OWNER/);
  // Without the token (or with another browser's), nothing changes.
  for (const csrf of ['', sam.csrf]) {
    const r = await owner.post('/projects/team/members', { _csrf: csrf, email: 'sam@example.com', role: 'owner' });
    assert.equal(r.status, 403, csrf);
  }
  assert.equal(await h.db('project_members').join('users', 'users.id', 'user_id').where({ email: 'sam@example.com' }).first(), undefined);
  // A member sees the project without its forms and cannot change it.
  const asMember = await mia.get('/projects/team');
  assert.equal(asMember.status, 200);
  assert.match(asMember.body, /id="project-role">member</);
  assert.doesNotMatch(asMember.body, /action="\/projects\/team\/members"/);
  assert.equal((await mia.post('/projects/team/members', { email: 'sam@example.com', role: 'owner' })).status, 403);
  assert.match((await mia.get('/apps')).body, /href="\/apps\/shop"/, 'the apps list reaches project apps');
  // Outside the project, it answers like a missing one.
  const theirs = await sam.get('/projects/team');
  const missing = await sam.get('/projects/nope');
  assert.equal(theirs.status, 404);
  assert.match(theirs.body, /E_PROJECT_NOT_FOUND/);
  assert.equal(theirs.body.replaceAll('team', 'NAME').replace(/"X-CSRF-Token": "[^"]+"/, ''), missing.body.replaceAll('nope', 'NAME').replace(/"X-CSRF-Token": "[^"]+"/, ''));
  assert.equal((await sam.post('/projects/team/apps', { app: 'shop' })).status, 404);
  assert.doesNotMatch((await sam.get('/projects')).body, /href="\/projects\/team"/);
  // Taking the app out and removing a member.
  await owner.get('/projects/team');
  assert.equal((await owner.post('/projects/team/members/remove', { email: 'mia@example.com' })).status, 303);
  assert.equal((await mia.get('/apps/shop')).status, 404, 'a removed member loses the app at once');
});

test('viewers read a project app (pages, the logs socket) but change nothing and never see config values; members deploy; others get 404', async (t) => {
  const h = await startWeb(t);
  const { owner, mia, vic, sam } = await team(h);
  await releaseBuild(h, 'shop', await insertBuild(h.db, 'shop', { status: 'succeeded', lines: ['build line'] }));
  for (const page of READ_PAGES) {
    const r = await vic.get(`/apps/shop${page}`);
    assert.equal(r.status, 200, page);
    assert.doesNotMatch(r.body, /hunter2/, page);
    assert.equal((await sam.get(`/apps/shop${page}`)).status, 404, page);
  }
  const configPage = (await vic.get('/apps/shop/config')).body;
  assert.match(configPage, /SECRET/, 'viewers see the keys');
  assert.match(configPage, /id="config-read-only"/);
  assert.doesNotMatch(configPage, /action="\/apps\/shop\/config"|class="reveal"/, 'no forms or reveal links for viewers');
  assert.match((await mia.get('/apps/shop/config')).body, /action="\/apps\/shop\/config"/, 'members get the forms');
  for (const page of ['/config?reveal=SECRET', '/config/SECRET/reveal', '/config?edit=SECRET']) {
    const r = await vic.get(`/apps/shop${page}`);
    assert.equal(r.status, 403, page);
    assert.match(r.body, /Config values of shop are secrets: viewers cannot see them/);
    assert.doesNotMatch(r.body, /hunter2/);
  }
  await vic.get('/apps/shop');
  for (const [url, form] of POSTS) {
    const r = await vic.post(`/apps/shop${url}`, form);
    assert.equal(r.status, 403, url);
    assert.match(r.body, /E_FORBIDDEN/, url);
  }
  const row = await h.db('apps').where({ name: 'shop' }).first();
  assert.deepEqual(row.config, { SECRET: 'hunter2' });
  const ws = await h.app.injectWS('/apps/shop/logs/live', { headers: { cookie: vic.cookieHeader, ...SAME_ORIGIN } });
  ws.terminate();
  for (const socket of ['/logs/live', '/live', '/builds/1/live']) {
    await assert.rejects(h.app.injectWS(`/apps/shop${socket}`, { headers: { cookie: sam.cookieHeader, ...SAME_ORIGIN } }), /Unexpected server response: 404/, socket);
  }
  await mia.get('/apps/shop/config');
  assert.equal((await mia.post('/apps/shop/config', { key: 'FROM_MIA', value: 'yes' })).status, 303, 'members deploy');
  assert.equal((await mia.post('/apps/shop/destroy', { confirm: 'shop' })).status, 403, 'members do not destroy');
  assert.match((await owner.get('/apps/shop/access')).body, /action="\/apps\/shop\/access"/);
});

test('the API: /api/projects for each role; viewers read apps but not config; outsiders get 404', async (t) => {
  const h = await startWeb(t);
  await team(h);
  const token = async (email: string) => createToken(h.db, (await h.db('users').where({ email }).first('id')).id);
  const [owner, mia, vic, sam] = await Promise.all(['owner', 'mia', 'vic', 'sam'].map((n) => token(`${n}@example.com`)));
  const call = async (tok: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) => {
    const r = await h.app.inject({ method, url, headers: { authorization: `Bearer ${tok}` }, ...(body === undefined ? {} : { payload: body as object }) });
    return { status: r.statusCode, body: r.body ? r.json() : undefined };
  };
  assert.deepEqual((await call(vic!, 'GET', '/api/projects')).body.map((p: any) => [p.name, p.role, p.apps, p.members]), [['team', 'viewer', 1, 3]]);
  const detail = await call(vic!, 'GET', '/api/projects/team');
  assert.deepEqual(detail.body.apps, [{ name: 'shop', owner: 'owner@example.com' }]);
  assert.equal((await call(sam!, 'GET', '/api/projects/team')).body.error.code, 'E_PROJECT_NOT_FOUND');
  assert.deepEqual((await call(sam!, 'GET', '/api/projects')).body, []);
  for (const name of ['', 'Team', '../x', 'a'.repeat(64)]) {
    const r = await call(owner!, 'POST', '/api/projects', { name });
    assert.equal(r.status, 400, name);
    assert.equal(r.body.error.code, 'E_PROJECT_NAME_INVALID', name);
  }
  assert.equal((await call(owner!, 'POST', '/api/projects', { name: 42 })).body.error.code, 'E_PROJECT_NAME_INVALID');
  assert.equal((await call(sam!, 'POST', '/api/projects', { name: 'sams' })).status, 201);
  assert.equal((await call(sam!, 'POST', '/api/projects', { name: 'sams' })).body.error.code, 'E_PROJECT_EXISTS');
  assert.equal((await call(vic!, 'POST', '/api/projects/team/members', { email: 'sam@example.com', role: 'owner' })).status, 403);
  assert.equal((await call(owner!, 'POST', '/api/projects/team/members', { email: 'sam@example.com', role: 'viewer' })).status, 201);
  assert.equal((await call(owner!, 'POST', '/api/projects/team/members', { email: 'sam@example.com', role: 'member' })).status, 200);
  assert.equal((await call(owner!, 'DELETE', '/api/projects/team/members/sam%40example.com')).status, 204);
  assert.equal((await call(owner!, 'DELETE', '/api/projects/team/members/owner%40example.com')).body.error.code, 'E_PROJECT_LAST_OWNER');
  // Apps through the role.
  assert.deepEqual((await call(vic!, 'GET', '/api/apps')).body.map((a: any) => [a.name, a.project]), [['shop', 'team']]);
  assert.equal((await call(vic!, 'GET', '/api/apps/shop')).status, 200);
  assert.equal((await call(vic!, 'GET', '/api/apps/shop/releases')).status, 200);
  const config = await call(vic!, 'GET', '/api/apps/shop/config');
  assert.equal(config.status, 403);
  assert.equal(config.body.error.code, 'E_FORBIDDEN');
  assert.doesNotMatch(JSON.stringify(config.body), /hunter2/);
  assert.equal((await call(vic!, 'PATCH', '/api/apps/shop/config?restart=false', { X: '1' })).status, 403);
  assert.equal((await call(vic!, 'DELETE', '/api/apps/shop?confirm=shop')).status, 403);
  assert.equal((await call(mia!, 'PATCH', '/api/apps/shop/config?restart=false', { FROM_MIA: '1' })).status, 200);
  assert.equal((await call(mia!, 'GET', '/api/apps/shop/config')).body.SECRET, 'hunter2');
  for (const url of ['/api/apps/shop', '/api/apps/shop/config', '/api/apps/shop/releases']) {
    const r = await call(sam!, 'GET', url);
    assert.equal(r.status, 404, url);
    assert.equal(r.body.error.message, 'App "shop" not found, or you have no access to it');
  }
  assert.equal((await call(sam!, 'POST', '/api/projects/sams/apps', { app: 'shop' })).body.error.code, 'E_APP_NOT_FOUND');
  assert.equal((await call(owner!, 'DELETE', '/api/projects/team/apps/shop')).status, 204);
  assert.equal((await call(vic!, 'GET', '/api/apps/shop')).status, 404, 'out of the project, out of reach');
});

test("a project's owner creates an app straight in it; a member cannot, and a refused name makes no app", async (t) => {
  const h = await startWeb(t);
  const { owner, mia } = await team(h);
  await owner.get('/projects/team');
  const made = await owner.post('/projects/team/apps/new', { name: 'shop-api' });
  assert.deepEqual([made.status, made.location], [303, '/apps/shop-api']);
  const page = await owner.get('/apps/shop-api');
  assert.match(page.body, /Created shop-api in project team\. Push to it with git, or connect a repository on the Git host tab\./);
  assert.match(page.body, /id="app-project">team</);
  assert.match((await owner.get('/projects/team')).body, /href="\/apps\/shop-api"/);
  const bad = await owner.post('/projects/team/apps/new', { name: '<b>Bad</b>' });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /value="&lt;b&gt;Bad&lt;\/b&gt;"/, 'kept, escaped');
  await mia.get('/projects/team');
  const refused = await mia.post('/projects/team/apps/new', { name: 'mia-app' });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /Only owners of project team can change its apps/);
  assert.equal(await h.db('apps').where({ name: 'mia-app' }).first(), undefined, 'no stray app on refusal');
  assert.deepEqual((await h.db('apps').whereNotNull('project_id').orderBy('name').pluck('name')), ['shop', 'shop-api']);
});
