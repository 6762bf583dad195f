// web/dashboard/live.test.ts — the websockets htmx-ext-ws follows: a build's log (stored lines, then live
// ones, gaps and a missed tail filled from the database, badges flipping, then a clean close), the app's status
// and activity, and streams ended when the session or the access ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publish } from '../../core/bus.ts';
import { createAppAs, openLive, SAME_ORIGIN, signUp, startWeb } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';

test('a running build streams its stored lines, then live lines in order, then the flipped badges, then closes', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const id = await insertBuild(h.db, 'demo', { lines: ['-----> Building demo', 'stored line'] });
  const page = await b.get('/apps/demo/builds/1');
  assert.match(page.body, /ws-connect="\/apps\/demo\/builds\/1\/live"/);
  assert.match(page.body, /<meta http-equiv="refresh" content="3">/, 'without JavaScript the page refreshes itself');

  const live = await openLive(h, '/apps/demo/builds/1/live', b.cookieHeader);
  const first = await live.until(/id="build-status"/);
  assert.match(first, /^<div id="build-log" hx-swap-oob="innerHTML"><div class="line line-step" id="line-1">-----&gt; Building demo<\/div><div class="line" id="line-2">stored line<\/div><\/div>/);
  for (const [seq, line] of [[3, 'step one'], [4, '\u001b[1mstep two\u001b[0m']] as const) {
    await publish(h.bus, 'buildLog', { buildId: id, app: 'demo', seq, line }, id);
  }
  await live.until(/step two/);
  assert.match(live.text(), /<div id="build-log" hx-swap-oob="beforeend">.*<div class="line" id="line-3">step one<\/div>.*<div class="line" id="line-4"><span class="ansi-bold">step two<\/span><\/div>/s);

  const [release] = await h.db.transaction(async (trx) => {
    await trx('builds').where({ id }).update({ status: 'succeeded' });
    const appId = (await trx('apps').where({ name: 'demo' }).first('id')).id;
    return trx('releases').insert({ app_id: appId, version: 1, build_id: id, description: 'Deploy c0ffee0', status: 'deploying' }).returning('*');
  });
  await publish(h.bus, 'buildStatus', { buildId: id, app: 'demo', number: 1, status: 'succeeded' }, id);
  await live.until(/badge-succeeded" id="build-status" hx-swap-oob="true"/);
  await live.until(/<span id="release-status" hx-swap-oob="true">v1 <span class="badge badge-deploying">/);
  await h.db('releases').where({ id: release.id }).update({ status: 'succeeded' });
  await publish(h.bus, 'deployStatus', { releaseId: release.id, app: 'demo', version: 1, buildId: id, status: 'succeeded' }, release.id);
  await live.until(/Finished\./);
  assert.equal(await live.closed, 1000);
  live.close();
  assert.match(live.text(), /v1 <span class="badge badge-succeeded">succeeded<\/span>/);
});

test('lines published before the socket subscribed are filled in from the database', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const id = await insertBuild(h.db, 'demo', { lines: ['one', 'two'] });
  const live = await openLive(h, '/apps/demo/builds/1/live', b.cookieHeader);
  await live.until(/id="build-status"/);
  await publish(h.bus, 'buildLog', { buildId: id, app: 'demo', seq: 5, line: 'five' }, id); // 3 and 4 were never seen live
  await live.until(/five/);
  assert.match(live.text(), /<div class="line" id="line-3"><\/div><div class="line" id="line-4"><\/div><div class="line" id="line-5">five<\/div>/);
  await publish(h.bus, 'buildLog', { buildId: id, app: 'demo', seq: 7, line: 'seven' }, id); // 6: skipped by a crashed writer
  await live.until(/seven/);
  await h.db('build_log_lines').insert([{ build_id: id, seq: 3, line: 'three' }, { build_id: id, seq: 4, line: 'four' }]);
  await h.db('builds').where({ id }).update({ status: 'failed' });
  await publish(h.bus, 'buildStatus', { buildId: id, app: 'demo', number: 1, status: 'failed' }, id);
  await live.closed;
  live.close();
  assert.match(live.text(), /<div class="line" id="line-3" hx-swap-oob="true">three<\/div><div class="line" id="line-4" hx-swap-oob="true">four<\/div>/);
  assert.match(live.text(), /<div id="line-6" hx-swap-oob="delete"><\/div>/);
  assert.match(live.text(), /Finished: it failed/);
});

test('a line published just before the socket subscribed, and stored just after, shows without waiting for a later line', { timeout: 10_000 }, async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const id = await insertBuild(h.db, 'demo', { lines: ['one', 'two'] });
  await publish(h.bus, 'buildLog', { buildId: id, app: 'demo', seq: 3, line: 'three' }, id); // heard by nobody, not stored yet
  const live = await openLive(h, '/apps/demo/builds/1/live', b.cookieHeader);
  assert.doesNotMatch(await live.until(/id="build-status"/), /three/);
  await h.db('build_log_lines').insert({ build_id: id, seq: 3, line: 'three' }); // BuildLog stores it a moment later
  await live.until(/three/); // no later line comes: a quiet build step must not hold it back
  assert.match(live.text(), /<div id="build-log" hx-swap-oob="beforeend"><div class="line" id="line-3">three<\/div><\/div>/);
  live.close();
});

test('a finished build sends its log and closes; its page has no socket', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  await insertBuild(h.db, 'demo', { status: 'failed', lines: [' !     Push rejected'] });
  const page = await b.get('/apps/demo/builds/1');
  assert.doesNotMatch(page.body, /builds\/1\/live/);
  assert.match(page.body, /<div class="line line-error" id="line-1"> !     Push rejected<\/div>/);
  const live = await openLive(h, '/apps/demo/builds/1/live', b.cookieHeader);
  assert.equal(await live.closed, 1000);
  live.close();
  assert.match(live.text(), /Push rejected/);
  assert.equal((await b.get('/apps/demo/builds/2')).status, 404);
  assert.equal((await b.get('/apps/demo/builds/abc')).status, 404);
});

test("the app's socket flips its status badge and refreshes the activity as builds and releases change", async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const page = await b.get('/apps/demo/activity');
  assert.match(page.body, /ws-connect="\/apps\/demo\/live\?activity=1"/);
  const live = await openLive(h, '/apps/demo/live?activity=1', b.cookieHeader);
  const id = await insertBuild(h.db, 'demo', { status: 'building' });
  await publish(h.bus, 'buildStatus', { buildId: id, app: 'demo', number: 1, status: 'building' }, id);
  await publish(h.bus, 'buildStatus', { buildId: id, app: 'other', number: 1, status: 'building' }, id); // another app: ignored
  // The socket also sends the state as it opens, which may or may not already hold the build: wait for the badge.
  const text = await live.until(/<span class="badge badge-building" id="app-status" hx-swap-oob="true">building<\/span>/);
  const message = text.slice(text.lastIndexOf('<span class="badge badge-building" id="app-status"'));
  assert.match(message, /id="activity" hx-swap-oob="true"/, 'the activity comes in the same message as the badge');
  assert.match(message, /href="\/apps\/demo\/builds\/1">Build 1<\/a>/);
  live.close();
});

test("a release that finished while the app's socket connected shows as the socket opens, with no later event", async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const id = await insertBuild(h.db, 'demo', { status: 'succeeded' });
  const appId = (await h.db('apps').where({ name: 'demo' }).first('id')).id;
  const [release] = await h.db('releases').insert({ app_id: appId, version: 1, build_id: id, description: 'Deploy c0ffee0', status: 'deploying' }).returning('*');
  const page = await b.get('/apps/demo/activity');
  assert.match(page.body, /badge-deploying/, 'the page rendered while v1 deployed');
  // The deploy ends, and its event goes out, after the render and before the socket subscribed.
  await h.db('releases').where({ id: release.id }).update({ status: 'succeeded' });
  await h.db('apps').where({ id: appId }).update({ current_release_id: release.id });
  await publish(h.bus, 'deployStatus', { releaseId: release.id, app: 'demo', version: 1, buildId: id, status: 'succeeded' }, release.id);
  const live = await openLive(h, '/apps/demo/live?activity=1', b.cookieHeader);
  const text = await live.until(/id="activity" hx-swap-oob="true"/);
  assert.match(text, /<span class="badge badge-running" id="app-status" hx-swap-oob="true">running<\/span>/);
  assert.doesNotMatch(text, /badge-deploying/);
  live.close();
});

test('open streams end when the session is signed out or the app is no longer shared', async (t) => {
  const h = await startWeb(t);
  const owner = await signUp(h, 'owner@example.com');
  const carol = await signUp(h, 'carol@example.com');
  await createAppAs(owner, 'demo');
  await owner.get('/apps/demo/access');
  await owner.post('/apps/demo/access', { email: 'carol@example.com' });
  const carols = await openLive(h, '/apps/demo/logs/live', carol.cookieHeader);
  const owners = await openLive(h, '/apps/demo/logs/live', owner.cookieHeader);
  await owner.get('/apps/demo/access');
  await owner.post('/apps/demo/access/remove', { email: 'carol@example.com' });
  assert.equal(await carols.closed, 1008);
  await owner.post('/signout');
  assert.equal(await owners.closed, 1008);
  carols.close();
  owners.close();
});

test("a websocket opened by another site's page is refused with 403 before the upgrade, even with the user's cookie", async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'alice@example.com');
  await createAppAs(b, 'demo');
  await insertBuild(h.db, 'demo', { lines: ['private build line'] });
  const sockets = ['/apps/demo/builds/1/live', '/apps/demo/logs/live', '/apps/demo/live?activity=1'];
  const foreign = [
    { origin: 'http://evil.example' }, { origin: 'http://localhost:5000.evil.example' }, { origin: 'http://localhost:5001' },
    { origin: 'null' }, { origin: 'file://' }, { origin: 'http://user@localhost:5000' }, {},
  ];
  for (const url of sockets) {
    for (const extra of foreign) {
      const headers = { cookie: b.cookieHeader, host: SAME_ORIGIN.host, ...extra };
      await assert.rejects(h.app.injectWS(url, { headers }), /Unexpected server response: 403/, `${url} ${JSON.stringify(extra)}`);
    }
    for (const origin of [SAME_ORIGIN.origin, 'https://localhost:5000', 'HTTP://LOCALHOST:5000']) {
      const ws = await h.app.injectWS(url, { headers: { cookie: b.cookieHeader, host: SAME_ORIGIN.host, origin } });
      ws.terminate();
    }
  }
  const proxied = { cookie: b.cookieHeader, host: 'paas-web:5000', 'x-forwarded-host': 'paas.example.com', origin: 'https://paas.example.com' };
  (await h.app.injectWS('/apps/demo/logs/live', { headers: proxied })).terminate();
  await assert.rejects(h.app.injectWS('/apps/demo/logs/live', { headers: { ...proxied, origin: 'https://evil.example' } }), /Unexpected server response: 403/);
  const page = await h.app.inject({ url: '/apps/demo/logs/live', headers: { cookie: b.cookieHeader, host: 'localhost:5000', origin: 'http://evil.example', accept: 'text/html', connection: 'upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
  assert.equal(page.statusCode, 403);
  assert.match(page.body, /E_CSRF/);
  assert.match(page.body, /only this dashboard&#x27;s own pages may open it|only this dashboard's own pages may open it/);
});
