// web/dashboard/cookies.test.ts — every cookie the dashboard sets is host-only (no Domain attribute): a browser sends
// it back to the dashboard's exact host and never to an app under the same parent domain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
