// web/dashboard/escaping.test.ts — user data is HTML-escaped everywhere: build and app log lines (pages and
// websocket fragments), config values, SSH key comments, descriptions and flash messages. Markup shows as text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { publish } from '../../core/bus.ts';
import { appLogFile } from '../../runtime/local/log-file.ts';
import { keygen } from '../../test/support/keys.ts';
import { createAppAs, openLive, releaseBuild, signUp, startWeb } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';

const XSS = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const esc = (s: string) => Handlebars.Utils.escapeExpression(s); // also escapes = ' " and `

test('a build log line of <script> shows as text on the page and in the live fragments', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const id = await insertBuild(h.db, 'demo', { lines: [XSS, '\u001b[31m<b>red</b>\u001b[0m'] });
  const page = await b.get('/apps/demo/builds/1');
  assert.ok(page.body.includes(ESCAPED));
  assert.ok(!page.body.includes(XSS));
  assert.ok(page.body.includes('<span class="ansi-red">&lt;b&gt;red&lt;/b&gt;</span>'));
  assert.ok(!page.body.includes('\u001b'));

  const live = await openLive(h, '/apps/demo/builds/1/live', b.cookieHeader);
  await live.until(/badge-building/); // the stored lines and the badges: the follower is subscribed
  await publish(h.bus, 'buildLog', { buildId: id, app: 'demo', seq: 3, line: '<img src=x onerror=alert(2)>' }, id);
  await live.until(/onerror/);
  await h.db('builds').where({ id }).update({ status: 'failed' });
  await publish(h.bus, 'buildStatus', { buildId: id, app: 'demo', number: 1, status: 'failed' }, id);
  assert.equal(await live.closed, 1000);
  live.close();
  const text = live.text();
  assert.ok(text.includes(ESCAPED) && !text.includes(XSS));
  assert.ok(text.includes(esc('<img src=x onerror=alert(2)>')));
  assert.ok(!text.includes('<img'));
});

test('app log lines, from the file and live, are escaped', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const file = appLogFile(h.config.dataDir, 'demo');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `2026-01-01T00:00:00.000Z app[web.1]: ${XSS}\n`);
  const page = await b.get('/apps/demo/logs');
  assert.ok(page.body.includes(ESCAPED) && !page.body.includes(XSS));
  const live = await openLive(h, '/apps/demo/logs/live', b.cookieHeader);
  await live.until(/app-log/);
  await publish(h.bus, 'appLog', { app: 'demo', source: 'web.1', line: '<img src=x onerror=alert(3)>', time: new Date().toISOString() }, 'demo');
  const text = await live.until(/onerror/);
  live.close();
  assert.ok(text.includes(ESCAPED), 'the file tail is sent first');
  assert.ok(text.includes(esc('<img src=x onerror=alert(3)>')) && !text.includes('<img'));
});

test('config values, key comments, token descriptions, release descriptions and flash messages are escaped', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  await releaseBuild(h, 'demo', await insertBuild(h.db, 'demo', { status: 'succeeded' }));
  await b.get('/apps/demo/config');
  await b.post('/apps/demo/config', { key: 'HTML', value: XSS });
  const masked = await b.get('/apps/demo/config');
  assert.ok(!masked.body.includes('alert(1)'), 'values are hidden until revealed');
  const revealed = await b.get('/apps/demo/config?reveal=HTML');
  assert.ok(revealed.body.includes(ESCAPED) && !revealed.body.includes(XSS));
  const fragment = await b.get('/apps/demo/config/HTML/reveal', { 'hx-request': 'true', 'hx-target': 'cfg-HTML-value' });
  assert.equal(fragment.body.trim(), `<code class="secret">${ESCAPED}</code>`);
  const edit = await b.get('/apps/demo/config?edit=HTML');
  assert.ok(edit.body.includes(`value="${ESCAPED}"`));

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'esc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const key = fs.readFileSync(`${keygen(dir, 'k', 'ed25519', undefined, `me ${XSS}`)}.pub`, 'utf8');
  await b.get('/account/keys');
  const added = await b.post('/account/keys', { key });
  const keys = await b.get(added.location!);
  assert.ok(keys.body.includes(`me ${ESCAPED}`) && !keys.body.includes(XSS), 'comment in the list and the flash');
  const confirm = await b.get(`/account/keys/${(await h.db('ssh_keys').first('id')).id}/remove`);
  assert.ok(confirm.body.includes(ESCAPED) && !confirm.body.includes(XSS));

  await b.post('/account/tokens', { description: XSS });
  const tokens = await b.get('/account/tokens');
  assert.ok(tokens.body.includes(ESCAPED) && !tokens.body.includes(XSS));

  await h.db('releases').update({ description: XSS });
  for (const url of ['/apps/demo', '/apps/demo/activity']) {
    const r = await b.get(url);
    assert.ok(r.body.includes(ESCAPED) && !r.body.includes(XSS), url);
  }
});

test('names echoed back in errors are escaped', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await b.get('/apps');
  const bad = await b.post('/apps', { name: XSS });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /E_APP_NAME_INVALID/);
  assert.ok(bad.body.includes(ESCAPED) && !bad.body.includes(XSS));
  const missing = await b.get(`/apps/${encodeURIComponent(XSS)}`);
  assert.ok(!missing.body.includes(XSS));
  const notFound = await b.get(`/nothing/${encodeURIComponent(XSS)}`);
  assert.equal(notFound.status, 404);
  assert.ok(!notFound.body.includes(XSS));
  await b.get('/apps/');
  const signup = await b.post('/account/keys', { key: XSS });
  assert.ok(!signup.body.includes(XSS));
});
