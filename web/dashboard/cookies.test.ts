// web/dashboard/cookies.test.ts — every cookie the dashboard sets is host-only (no Domain attribute): a browser sends
// it back to the dashboard's exact host and never to an app under the same parent domain; with PAAS_DOMAIN they are
// __Host- and Secure, and X-Forwarded-Proto is believed only from the router (loopback, with its secret).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROUTER_SECRET_HEADER, routerSecret } from '../../core/router-secret.ts';
import { LOGIN_LIMITS } from '../../core/accounts/login.ts';
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
  const claim = { host: 'paas.example.com', 'x-forwarded-proto': 'https' };
  const viaRouter = await b.get('/apps/demo', { ...claim, [ROUTER_SECRET_HEADER]: routerSecret(h.config.dataDir) });
  assert.match(viaRouter.body, /https:\/\/paas\.example\.com\/demo\.git/, 'the router (loopback, with its secret) is believed');
  // A local process (loopback, no secret or a wrong one) and a client from elsewhere (even with the secret) are not.
  const wrong = await b.get('/apps/demo', { ...claim, [ROUTER_SECRET_HEADER]: 'f'.repeat(64) });
  const bare = await b.get('/apps/demo', claim);
  const direct = new Browser(h, '203.0.113.9');
  direct.cookies.set('__Host-paas_session', b.cookies.get('__Host-paas_session')!);
  const remote = await direct.get('/apps/demo', { ...claim, [ROUTER_SECRET_HEADER]: routerSecret(h.config.dataDir) });
  for (const claimed of [wrong, bare, remote]) {
    assert.equal(claimed.status, 200);
    assert.match(claimed.body, /http:\/\/paas\.example\.com\/demo\.git/);
    assert.doesNotMatch(claimed.body, /https:\/\/paas\.example\.com\/demo\.git/, 'not believed without the router\'s secret from loopback');
  }
});

test('hostile: through the router each client has its own sign-in limit; a forged X-Forwarded-For is not believed', async (t) => {
  const h = await startWeb(t, { PAAS_DOMAIN: 'paas.example.com' });
  const secret = routerSecret(h.config.dataDir);
  // What the router adds to each request it forwards: the client's address as it saw it, last, and its secret.
  const via = (address: string, secretSent = secret) => ({ host: 'paas.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-for': address, [ROUTER_SECRET_HEADER]: secretSent });
  const spray = async (address: string, secretSent?: string): Promise<number> => {
    const b = new Browser(h);
    await b.get('/signin', via(address, secretSent));
    let status = 0;
    for (let i = 0; i <= LOGIN_LIMITS.perAddress && status !== 429; i++) {
      status = (await b.post('/signin', { email: `user${i}@example.com`, password: 'spray-spray' }, via(address, secretSent))).status;
    }
    return status;
  };
  assert.equal(await spray('198.51.100.7'), 429, 'the attacker, as the router saw it, is limited');
  // Another client of the same router is not locked out: the router's own address is not the key.
  const other = new Browser(h);
  await other.get('/signin', via('198.51.100.8'));
  assert.notEqual((await other.post('/signin', { email: 'user0@example.com', password: 'spray-spray' }, via('198.51.100.8'))).status, 429);
  // Without the secret, X-Forwarded-For is not believed: a local process rotating it shares its own address's limit.
  const forger = new Browser(h);
  await forger.get('/signin', via('203.0.113.1', 'nope'));
  let status = 0;
  for (let i = 0; i <= LOGIN_LIMITS.perAddress && status !== 429; i++) {
    status = (await forger.post('/signin', { email: `user${i}@example.com`, password: 'spray-spray' }, via(`203.0.113.${i + 1}`, 'nope'))).status;
  }
  assert.equal(status, 429, 'rotating a forged X-Forwarded-For does not escape the limit');
});
