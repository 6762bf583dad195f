// web/dashboard/cookies.test.ts — every cookie the dashboard sets is host-only (no Domain attribute): a browser sends
// it back to the dashboard's exact host and never to an app under the same parent domain; with PAAS_DOMAIN they are
// __Host- and Secure, and X-Forwarded-Proto is believed only from the router on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueSetupToken } from '../../core/accounts/invites.ts';
import { Browser, startWeb, type Page } from '../../test/support/dashboard.ts';

function cookiesOf(page: Page): string[] {
  return ([] as string[]).concat((page.headers['set-cookie'] as string[] | string | undefined) ?? []);
}

test('the session, CSRF and flash cookies are host-only: no Domain attribute, even when the Host is a subdomain', async (t) => {
  const h = await startWeb(t);
  const b = new Browser(h);
  const host = { host: 'paas.apps.example.com:5000' };
  const seen: string[] = [];
  seen.push(...cookiesOf(await b.get('/signup', host)));
  seen.push(...cookiesOf(await b.post('/signup', { email: 'alice@example.com', password: 'correct-horse-battery' }, host)));
  await b.get('/apps', host);
  seen.push(...cookiesOf(await b.post('/apps', { name: 'demo' }, host)));
  seen.push(...cookiesOf(await b.get('/apps/demo', host)));
  seen.push(...cookiesOf(await b.post('/signout', {}, host)));
  const names = new Set(seen.map((c) => c.split('=')[0]));
  for (const name of ['paas_csrf', 'paas_session', 'paas_flash']) assert.ok(names.has(name), `${name} was set: ${[...names].join(', ')}`);
  for (const c of seen) {
    assert.doesNotMatch(c, /;\s*domain=/i, c);
    assert.match(c, /;\s*HttpOnly/i, c);
    assert.match(c, /;\s*Path=\//, c);
  }
});

test('with PAAS_DOMAIN the session, CSRF and flash cookies are __Host- and Secure (Path=/, no Domain), and signing in works with them', async (t) => {
  const h = await startWeb(t, { PAAS_DOMAIN: 'paas.example.com' });
  const b = new Browser(h);
  const host = { host: 'paas.example.com' };
  const seen: string[] = [];
  seen.push(...cookiesOf(await b.get('/signup', host)));
  const token = (await issueSetupToken(h.db))!;
  await b.get(`/setup?token=${token}`, host);
  seen.push(...cookiesOf(await b.post('/setup', { email: 'alice@example.com', password: 'correct-horse-battery', token }, host)));
  await b.get('/apps', host);
  seen.push(...cookiesOf(await b.post('/apps', { name: 'demo' }, host)));
  assert.equal((await b.get('/apps/demo', host)).status, 200, 'the __Host- session cookie signs the browser in');
  const names = new Set(seen.map((c) => c.split('=')[0]));
  for (const name of ['__Host-paas_csrf', '__Host-paas_session', '__Host-paas_flash']) assert.ok(names.has(name), `${name} was set: ${[...names].join(', ')}`);
  for (const c of seen) {
    assert.match(c, /^__Host-/, c);
    assert.match(c, /;\s*Secure/i, c);
    assert.match(c, /;\s*Path=\/(;|$)/, c);
    assert.doesNotMatch(c, /;\s*domain=/i, c);
  }
  // A plain-named cookie (tossed in by a sibling host of a shared parent domain) is not a session here.
  const tossed = new Browser(h);
  tossed.cookies.set('paas_session', b.cookies.get('__Host-paas_session')!);
  assert.equal((await tossed.get('/apps/demo', host)).status, 303, 'a plain paas_session cookie is ignored with PAAS_DOMAIN');
});

test('hostile: with PAAS_DOMAIN a client of the web port cannot claim https by X-Forwarded-Proto; the router on loopback can', async (t) => {
  const h = await startWeb(t, { PAAS_DOMAIN: 'paas.example.com' });
  const b = new Browser(h);
  const token = (await issueSetupToken(h.db))!;
  await b.get(`/setup?token=${token}`);
  await b.post('/setup', { email: 'alice@example.com', password: 'correct-horse-battery', token });
  await b.get('/apps');
  await b.post('/apps', { name: 'demo' });
  const headers = { host: 'paas.example.com', 'x-forwarded-proto': 'https' };
  const viaRouter = await b.get('/apps/demo', headers);
  assert.match(viaRouter.body, /https:\/\/paas\.example\.com\/demo\.git/, 'the router (loopback) is believed');
  const direct = new Browser(h, '203.0.113.9');
  direct.cookies.set('__Host-paas_session', b.cookies.get('__Host-paas_session')!);
  const claimed = await direct.get('/apps/demo', headers);
  assert.equal(claimed.status, 200);
  assert.match(claimed.body, /http:\/\/paas\.example\.com\/demo\.git/);
  assert.doesNotMatch(claimed.body, /https:\/\/paas\.example\.com\/demo\.git/, 'a direct client is not believed');
});
