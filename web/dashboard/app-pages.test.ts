// web/dashboard/app-pages.test.ts — the apps pages through inject(): the list with status and empty states,
// creation with the CLI's name rules, config changes and rollbacks making releases, scale, domains and destroy; and
// the dashboard living beside /api, git over HTTP, the probes and /static.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAs, releaseBuild, signUp, startWeb } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';

test('the apps list shows each app with its status, URL and last deploy, and tells a new user what to do', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  const empty = await b.get('/apps');
  assert.match(empty.body, /No apps yet\./);
  assert.match(empty.body, /<a href="\/account\/keys">add an SSH key<\/a>, then <code>git push<\/code> to deploy/);
  for (const name of ['fresh', 'busy', 'broken', 'up']) await createAppAs(b, name);
  await insertBuild(h.db, 'busy', { status: 'building' });
  await insertBuild(h.db, 'broken', { status: 'failed' });
  await releaseBuild(h, 'up', await insertBuild(h.db, 'up', { status: 'succeeded' }));
  await h.db('releases').update({ finished_at: h.db.fn.now() });
  const page = await b.get('/apps');
  const rowOf = (app: string) => new RegExp(`<a class="app-link" href="/apps/${app}">${app}</a></td>\\s*<td><span class="badge badge-([a-z-]+)"`).exec(page.body)?.[1];
  assert.deepEqual(['fresh', 'busy', 'broken', 'up'].map(rowOf), ['no-release', 'building', 'failed', 'running']);
  assert.match(page.body, /href="http:\/\/up\.localhost:8080\/"/);
  assert.match(page.body, /v1<\/span>/);
});

test('creating an app validates the name as apps:create does, and its page shows the remotes to copy', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await b.get('/apps');
  const bad = await b.post('/apps', { name: 'Bad_Name' });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /&quot;Bad_Name&quot; is not a valid app name: use 1-63 lowercase letters, digits and hyphens/);
  assert.match(bad.body, /E_APP_NAME_INVALID/);
  assert.match(bad.body, /value="Bad_Name"/, 'the form keeps what was typed');
  assert.equal((await b.post('/apps', { name: 'hello' })).status, 303);
  const dup = await b.post('/apps', { name: 'hello' });
  assert.equal(dup.status, 409);
  assert.match(dup.body, /E_APP_EXISTS/);
  const page = await b.get('/apps/hello', { host: 'paas.example.com:5000' });
  assert.match(page.body, /<code id="remote-ssh">ssh:\/\/git@paas\.example\.com:2222\/hello\.git<\/code>/);
  assert.match(page.body, /<code id="remote-http">http:\/\/paas\.example\.com:5000\/hello\.git<\/code>/);
  assert.match(page.body, /git remote add paas ssh:\/\/git@paas\.example\.com:2222\/hello\.git &amp;&amp; git push paas main/);
  assert.match(page.body, /No release yet\./);
});

test('config changes and rollbacks make releases shown in the activity', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  await b.get('/apps/demo/config');
  const stored = await b.post('/apps/demo/config', { key: 'EARLY', value: '1' });
  assert.equal(stored.status, 303);
  assert.match((await b.get('/apps/demo/config')).body, /Set EARLY\. It applies on the first git push\./);
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }), { EARLY: '1' });
  await b.post('/apps/demo/config', { key: 'GREETING', value: 'hello' });
  assert.match((await b.get('/apps/demo/config')).body, /Set GREETING: release v2 is deploying\./);
  await b.post('/apps/demo/config', { key: 'GREETING', value: 'edited' }); // the edit form posts the same way
  const invalid = await b.post('/apps/demo/config', { key: 'bad key', value: 'x' });
  assert.equal(invalid.status, 400);
  assert.match(invalid.body, /E_CONFIG_KEY_INVALID/);
  assert.match((await b.get('/apps/demo/config/EARLY/remove')).body, /makes a new release without it/);
  assert.equal((await b.post('/apps/demo/config/EARLY/remove')).status, 303);
  assert.deepEqual((await h.db('apps').where({ name: 'demo' }).first()).config, { GREETING: 'edited' });
  const latest = await h.db('releases').orderBy('version', 'desc').first('id'); // no deployer runs here: finish them by hand
  await h.db('releases').update({ status: 'succeeded' });
  await h.db('apps').where({ name: 'demo' }).update({ current_release_id: latest.id });
  const activity = await b.get('/apps/demo/activity');
  for (const text of ['<strong>v4</strong> Unset EARLY', '<strong>v3</strong> Set GREETING', '<strong>v2</strong> Set GREETING', '<strong>v1</strong> Deploy c0ffee0']) {
    assert.ok(activity.body.includes(text), text);
  }
  assert.match(activity.body, /hx-post="\/apps\/demo\/releases\/1\/rollback" hx-confirm="Roll back demo to v1\?/);
  assert.match((await b.get('/apps/demo/releases/1/rollback')).body, /Roll back demo to v1\?/);
  assert.equal((await b.post('/apps/demo/releases/1/rollback')).status, 303);
  const last = await h.db('releases').orderBy('version', 'desc').first();
  assert.equal(last.description, 'Rollback to v1');
  assert.deepEqual(last.config, { EARLY: '1' });
  const missing = await b.post('/apps/demo/releases/99/rollback');
  assert.equal(missing.status, 404);
  assert.match(missing.body, /E_RELEASE_NOT_FOUND/);
});

test('scale, domains and destroy go through the same services as the CLI', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  await b.get('/apps/demo/processes');
  const early = await b.post('/apps/demo/processes', { qty_web: '2' });
  assert.match(early.body, /No process types yet/);
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }));
  assert.match((await b.get('/apps/demo/processes')).body, /<input id="qty-web" name="qty_web" type="number" min="0" max="99" value="1"/);
  assert.equal((await b.post('/apps/demo/processes', { qty_web: '3' })).status, 303);
  assert.deepEqual((await h.db('apps').where({ name: 'demo' }).first()).formation, { web: 3 });
  const unknown = await b.post('/apps/demo/processes', { qty_worker: '1' });
  assert.equal(unknown.status, 400);
  assert.match(unknown.body, /E_PROCESS_TYPE_UNKNOWN/);

  await b.get('/apps/demo/domains');
  assert.equal((await b.post('/apps/demo/domains', { hostname: 'www.example.com' })).status, 303);
  const taken = await b.post('/apps/demo/domains', { hostname: 'other.localhost' });
  assert.equal(taken.status, 400);
  assert.match(taken.body, /under the platform&#x27;s domain localhost/);
  assert.match((await b.get('/apps/demo/domains/remove?hostname=www.example.com')).body, /Stop routing www\.example\.com to demo\?/);
  assert.equal((await b.post('/apps/demo/domains/remove?hostname=www.example.com')).status, 303);
  assert.equal(await h.db('domains').first(), undefined);

  await b.get('/apps/demo/settings');
  const wrong = await b.post('/apps/demo/destroy', { confirm: 'dem' });
  assert.equal(wrong.status, 400);
  assert.match(wrong.body, /E_CONFIRM_REQUIRED/);
  const gone = await b.post('/apps/demo/destroy', { confirm: 'demo' });
  assert.equal(gone.location, '/apps');
  assert.equal(await h.db('apps').first(), undefined);
});

test('admin sees every user and app and the system stats', async (t) => {
  const h = await startWeb(t);
  const admin = await signUp(h, 'admin@example.com');
  const bob = await signUp(h, 'bob@example.com');
  await createAppAs(bob, 'bobs-app');
  await insertBuild(h.db, 'bobs-app', { status: 'failed' });
  await h.db('processes').insert({ app: 'bobs-app', type: 'web', index: 1, version: 1, state: 'up', since: new Date() });
  const page = await admin.get('/admin');
  for (const [id, n] of [['stat-apps', '1'], ['stat-processes', '1'], ['stat-builds', '1'], ['stat-failures', '1'], ['stat-disk', '0 B']]) {
    assert.ok(page.body.includes(`id="${id}">${n}</span>`), id);
  }
  assert.match(page.body, /bob@example\.com/);
  assert.match(page.body, /href="\/apps\/bobs-app"/);
  assert.equal((await admin.get('/apps/bobs-app')).status, 200, 'admins open every app');
});

test('the dashboard lives beside /api, git over HTTP, the probes and /static, with strict headers', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'apps');
  assert.equal((await h.app.inject({ url: '/api/nothing' })).json().error.code, 'E_NOT_FOUND');
  assert.equal((await h.app.inject({ url: '/api/apps' })).statusCode, 401);
  assert.equal((await h.app.inject({ url: '/healthz' })).statusCode, 200);
  const page = await b.get('/apps');
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'; script-src 'self'/);
  assert.equal(page.headers['x-frame-options'], 'DENY');
  const htmx = await h.app.inject({ url: '/static/htmx.min.js' });
  assert.equal(htmx.statusCode, 200);
  assert.match(htmx.body, /version:"2\.0\.11"/);
  assert.equal((await h.app.inject({ url: '/static/htmx-ext-ws.js' })).statusCode, 200);
  assert.equal((await h.app.inject({ url: '/static/..%2Fpackage.json' })).statusCode, 404);
  assert.match(page.body, /<script src="\/static\/htmx\.min\.js" defer><\/script>/);
  assert.doesNotMatch(page.body, /https?:\/\/(?!127\.0\.0\.1|localhost|apps\.)[a-z]/, 'nothing loads from elsewhere');
  assert.doesNotMatch(page.body, /<script>|style="/, 'no inline script or style');
  const html404 = await b.get('/no/such/page');
  assert.equal(html404.status, 404);
  assert.match(html404.body, /There is no page at \/no\/such\/page/);
  for (const repo of ['apps', 'static', 'signin']) {
    const git = await h.app.inject({ url: `/${repo}.git/info/refs?service=git-upload-pack` });
    assert.equal(git.statusCode, 401, repo);
    assert.match(git.body, /Authentication required/, repo);
  }
});

test("a worker-only app shows no URL; app.json's formation is shown and refuses the scale form with E_FORMATION_APP_JSON", async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'bg');
  const buildId = await insertBuild(h.db, 'bg', { status: 'succeeded' });
  await releaseBuild(h, 'bg', buildId);
  await h.db('builds').where({ id: buildId }).update({ process_types: JSON.stringify({ worker: 'node worker.js' }), app_json: JSON.stringify({ formation: { worker: 2 } }) });
  const page = (await b.get('/apps/bg')).body;
  assert.match(page, /<span class="url">no web process, so no URL<\/span>/);
  assert.doesNotMatch(page, /href="http:\/\/bg\./);
  const processes = (await b.get('/apps/bg/processes')).body;
  assert.match(processes, /id="formation-app-json"/);
  assert.match(processes, /<input id="qty-worker" name="qty_worker" type="number" min="0" max="99" value="2"/);
  const refused = await b.post('/apps/bg/processes', { qty_worker: '5' });
  assert.equal(refused.status, 409);
  assert.match(refused.body, /E_FORMATION_APP_JSON/);
  assert.match(refused.body, /set by app\.json in the app&#x27;s repo \(worker&#x3D;2\); change it there and push/);
});

test('the processes page says autoscaling needs Kubernetes mode outside it, and its form is refused with E_AUTOSCALE_UNAVAILABLE', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }));
  const page = await b.get('/apps/demo/processes');
  assert.match(page.body, /Autoscaling needs Kubernetes mode \(<code>PAAS_RUNTIME=kubernetes<\/code>\)/);
  assert.doesNotMatch(page.body, /action="\/apps\/demo\/autoscaling"/);
  const refused = await b.post('/apps/demo/autoscaling', { type: 'web', min: '1', max: '5', cpu: '70' });
  assert.equal(refused.status, 501);
  assert.match(refused.body, /E_AUTOSCALE_UNAVAILABLE/);
  assert.deepEqual((await h.db('apps').where({ name: 'demo' }).first()).autoscaling, {});
});

test('in Kubernetes mode the processes page form autoscales a type and turns it off, as ps:autoscale does', async (t) => {
  const h = await startWeb(t, { PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.test:5000', PAAS_BASE_DOMAIN: 'apps.test' });
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }));
  await b.get('/apps'); // the page's CSRF token (the processes page itself would ask the cluster for pods)
  const set = await b.post('/apps/demo/autoscaling', { type: 'web', min: '2', max: '4', cpu: '60' });
  assert.equal(set.status, 303, set.body.slice(0, 300));
  assert.deepEqual((await h.db('apps').where({ name: 'demo' }).first()).autoscaling, { web: { min: 2, max: 4, cpu: 60 } });
  const off = await b.post('/apps/demo/autoscaling/off', { type: 'web' });
  assert.equal(off.status, 303);
  assert.deepEqual((await h.db('apps').where({ name: 'demo' }).first()).autoscaling, {});
  assert.deepEqual((await h.db('outbox').where({ subject: 'paas.autoscaling.updated' })).length, 2);
});

