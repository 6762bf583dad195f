// test/e2e/oidc-sign-in.test.ts — sign-in with an OpenID Connect provider in a real browser (Debian's chromium)
// against a real provider (npm oidc-provider on 127.0.0.1): linking by verified email, first sign-in by invite or
// open sign-ups, state and nonce mismatches, an unverified email, a disabled user, a denied consent, and password
// sign-in turned off. One web server and one browser for the file; a fresh browser context per case.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { createInvite } from '../../core/accounts/invites.ts';
import { signUp, updateUser } from '../../core/accounts/users.ts';
import { isPaasError } from '../../core/errors.ts';
import { setPasswordSignIn, setSignupsOpen } from '../../core/settings.ts';
import { launchChromium, screenshot, trackedPage } from '../support/browser.ts';
import { startWeb, type Harness } from '../support/dashboard.ts';
import { completeProviderLogin, startOidcProvider, type OidcProvider } from '../support/oidc-provider.ts';

const cleanups: Array<() => Promise<void>> = [];
let op: OidcProvider;
let h: Harness;
let base: string;
let browser: Browser;
const operator = { kind: 'operator' } as const;

before(async () => {
  op = await startOidcProvider({
    accounts: {
      alice: { email: 'Alice@Example.com', emailVerified: true },
      bob: { email: 'bob@example.com', emailVerified: true },
      erin: { email: 'erin@example.com', emailVerified: true },
      carol: { email: 'carol@example.com', emailVerified: false },
      dave: { email: 'dave@example.com', emailVerified: true },
      root: { email: 'admin@example.com', emailVerified: true },
    },
  });
  cleanups.push(() => op.close());
  h = await startWeb({ after: (fn: () => Promise<void>) => { cleanups.push(fn); } }, op.env('Test ID'));
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  await signUp(h.db, 'admin@example.com', 'correct-horse-battery', { kind: 'operator', admin: true });
  await signUp(h.db, 'alice@example.com', 'correct-horse-battery', { kind: 'operator', admin: false });
  await signUp(h.db, 'carol@example.com', 'correct-horse-battery', { kind: 'operator', admin: false });
  const dave = await signUp(h.db, 'dave@example.com', 'correct-horse-battery', { kind: 'operator', admin: false });
  await updateUser(h.db, operator, dave.id, { disabled: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const fn of cleanups.reverse()) await fn();
});

/** A fresh browser (own cookies, at the platform and the provider) on the sign-in page, sent on to the provider. */
async function startAtProvider(from = '/signin'): Promise<Page> {
  const { page } = await trackedPage(browser);
  await page.goto(base + from);
  await page.getByRole('link', { name: 'Sign in with Test ID' }).click();
  await page.locator('input[name="login"]').waitFor();
  assert.ok(page.url().startsWith(op.issuer), page.url());
  return page;
}

/** Whether the page's browser holds a dashboard session: /apps answers, not the sign-in page. */
async function signedIn(page: Page): Promise<boolean> {
  await page.goto(`${base}/apps`);
  return !new URL(page.url()).pathname.startsWith('/signin');
}

const alert = (page: Page) => page.locator('.alert-error').innerText();

test('a first sign-in links the existing user with the same verified email, and signs in as a password would', async () => {
  const page = await startAtProvider('/signin?next=/keys');
  await completeProviderLogin(page, 'alice');
  await page.waitForURL(`${base}/keys`);
  await page.getByText('Signed in with Test ID as alice@example.com.').waitFor();
  await screenshot(page, 'oidc-signed-in');
  const alice = await h.db('users').where({ email: 'alice@example.com' }).first();
  const ids = await h.db('user_identities').where({ user_id: alice.id });
  assert.deepEqual(ids.map((r) => [r.provider, r.subject, r.email]), [['test', 'alice', 'alice@example.com']]);
  assert.equal(await signedIn(page), true);
  const cookies = await page.context().cookies(base);
  const session = cookies.find((c) => c.name === 'paas_session');
  assert.ok(session?.httpOnly && session.sameSite === 'Lax', JSON.stringify(cookies));
  assert.equal(cookies.find((c) => c.name === 'paas_signin_flow'), undefined, 'the flow cookie is cleared after use');
  assert.equal(await h.db('sign_in_flows').count('* as n').first().then((r) => Number(r?.n)), 0, 'the flow is used once');
  await page.context().close();
});

test('a first sign-in of an unknown email is refused while sign-ups are closed, and makes the account with an invite', async () => {
  let page = await startAtProvider();
  await completeProviderLogin(page, 'bob');
  await page.waitForURL(`${base}/auth/oidc/test/callback**`);
  assert.match(await alert(page), /Sign-ups are closed on this platform; ask an admin for an invite link/);
  assert.equal(await signedIn(page), false);
  assert.equal(await h.db('users').where({ email: 'bob@example.com' }).first(), undefined);
  await page.context().close();

  const invite = await createInvite(h.db, operator);
  page = await startAtProvider(`/signup?invite=${invite.token}`);
  await completeProviderLogin(page, 'bob');
  await page.waitForURL(`${base}/apps`);
  await page.getByText('Signed in with Test ID as bob@example.com.').waitFor();
  const bob = await h.db('users').where({ email: 'bob@example.com' }).first();
  assert.equal(bob.is_admin, false);
  assert.equal((await h.db('invites').where({ kind: 'invite' }).first()).used_by, bob.id, 'the invite is used up');
  await page.context().close();
});

test('a first sign-in makes the account while an admin keeps sign-ups open', async (t) => {
  if (h.config.isolation.mode === 'none') return t.skip('sign-ups stay closed in single-tenant mode (no sandbox on this machine)');
  await setSignupsOpen(h.db, operator, true);
  try {
    const page = await startAtProvider();
    await completeProviderLogin(page, 'erin');
    await page.waitForURL(`${base}/apps`);
    assert.ok(await h.db('users').where({ email: 'erin@example.com' }).first());
    await page.context().close();
  } finally {
    await setSignupsOpen(h.db, operator, false);
  }
});

test("a callback carrying another sign-in's state (an attacker's answer) signs nobody in, and uses the flow up", async () => {
  // The attacker completes a sign-in of their own in another browser and keeps its answer (code and state); their
  // account's unverified email keeps them on the callback's page, so its URL can be read.
  const attacker = await startAtProvider();
  await completeProviderLogin(attacker, 'carol');
  await attacker.waitForURL(`${base}/auth/oidc/test/callback**`);
  const answer = attacker.url();
  await attacker.context().close();
  // The victim's browser has a sign-in of its own under way when it is sent the attacker's answer.
  const page = await startAtProvider();
  const own = await h.db('sign_in_flows').first('state');
  assert.notEqual(new URL(answer).searchParams.get('state'), own.state);
  await page.goto(answer);
  assert.match(await alert(page), /does not match the sign-in this browser started \(state mismatch\)/);
  assert.equal(await signedIn(page), false);
  // The flow is gone: even its own state cannot be replayed now.
  const replay = new URL(answer);
  replay.searchParams.set('state', own.state);
  await page.goto(replay.href);
  assert.match(await alert(page), /was not started in this browser, was used already, or took over 10 minutes/);
  assert.equal(await signedIn(page), false);
  await page.context().close();
});

test('an ID token whose nonce does not match the flow signs nobody in', async () => {
  const page = await startAtProvider();
  assert.equal(await h.db('sign_in_flows').update({ nonce: 'tampered-nonce' }), 1);
  await completeProviderLogin(page, 'alice');
  await page.waitForURL(`${base}/auth/oidc/test/callback**`);
  assert.match(await alert(page), /does not match the sign-in this browser started.*nonce/s);
  assert.equal(await signedIn(page), false);
  await page.context().close();
});

test('an email the provider does not call verified is refused, even for an existing user', async () => {
  const page = await startAtProvider();
  await completeProviderLogin(page, 'carol');
  await page.waitForURL(`${base}/auth/oidc/test/callback**`);
  assert.match(await alert(page), /does not say your email \(carol@example.com\) is verified/);
  assert.equal(await signedIn(page), false);
  assert.equal(await h.db('user_identities').where({ subject: 'carol' }).first(), undefined);
  await page.context().close();
});

test('a disabled user is refused', async () => {
  const page = await startAtProvider();
  await completeProviderLogin(page, 'dave');
  await page.waitForURL(`${base}/auth/oidc/test/callback**`);
  assert.match(await alert(page), /This account is disabled/);
  assert.equal(await signedIn(page), false);
  await page.context().close();
});

test('a consent denied at the provider comes back as access_denied and is explained', async () => {
  const page = await startAtProvider();
  await completeProviderLogin(page, 'alice', { consent: false });
  await page.waitForURL(`${base}/auth/oidc/test/callback**`);
  assert.match(page.url(), /error=access_denied/);
  assert.match(await alert(page), /The sign-in with Test ID was cancelled or not allowed there/);
  await screenshot(page, 'oidc-denied');
  assert.equal(await signedIn(page), false);
  await page.context().close();
});

test('with password sign-in off, the page shows only the providers and a password POST is refused', async () => {
  const { page } = await trackedPage(browser);
  await page.goto(`${base}/signin`);
  const csrf = await page.locator('input[name="_csrf"]').getAttribute('value');
  await setPasswordSignIn(h.db, operator, false, h.config.signIn.providers.length);
  try {
    await page.goto(`${base}/signin`);
    await page.getByRole('link', { name: 'Sign in with Test ID' }).waitFor();
    assert.equal(await page.locator('input[name="password"]').count(), 0);
    await screenshot(page, 'oidc-password-off');
    const res = await page.request.post(`${base}/signin`, { form: { _csrf: csrf!, email: 'alice@example.com', password: 'correct-horse-battery' } });
    assert.equal(res.status(), 403);
    assert.match(await res.text(), /Password sign-in is turned off on this platform/);
    assert.equal(await signedIn(page), false);
    await assert.rejects(setPasswordSignIn(h.db, operator, false, 0), (e) => isPaasError(e, 'E_NO_SIGNIN_PROVIDER'));
  } finally {
    await setPasswordSignIn(h.db, operator, true, 1);
  }
  await page.context().close();
});

test('an admin signed in with the provider turns password sign-in off and on again on the admin page', async () => {
  const page = await startAtProvider();
  await completeProviderLogin(page, 'root');
  await page.waitForURL(`${base}/apps`);
  await page.goto(`${base}/admin`);
  const section = page.locator('#password-sign-in');
  await section.getByText('Sign-in providers: Test ID.').waitFor();
  await section.getByRole('button', { name: 'Turn password sign-in off' }).click();
  await page.getByText('Password sign-in is off: users sign in with a provider only.').first().waitFor();
  await screenshot(page, 'oidc-admin-password-off');
  assert.equal((await h.db('settings').where({ key: 'passwordSignIn' }).first()).value, false);
  await page.locator('#password-sign-in').getByRole('button', { name: 'Turn password sign-in on' }).click();
  await page.getByText('Password sign-in is on.').waitFor();
  assert.equal((await h.db('settings').where({ key: 'passwordSignIn' }).first()).value, true);
  await page.context().close();
});

test('callbacks without this browser\'s flow, for unknown providers, or with hostile input are refused without a session', async () => {
  const get = (url: string, cookie = '') => h.app.inject({ method: 'GET', url, headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) } });
  const noFlow = await get('/auth/oidc/test/callback?code=abc&state=xyz');
  assert.equal(noFlow.statusCode, 400);
  assert.match(noFlow.body, /was not started in this browser/);
  assert.equal(noFlow.cookies.find((c) => c.name === 'paas_session'), undefined);
  const forged = await get('/auth/oidc/test/callback?code=abc&state=xyz', `paas_signin_flow=${'x'.repeat(5000)}`);
  assert.equal(forged.statusCode, 400);
  for (const path of ['/auth/oidc/nope/start', '/auth/oidc/nope/callback?code=a&state=b', `/auth/oidc/${'%3Cscript%3E'.repeat(3)}/start`]) {
    const res = await get(path);
    assert.equal(res.statusCode, 404, path);
    assert.match(res.body, /There is no sign-in provider/);
    assert.doesNotMatch(res.body, /<script>/);
  }
  const start = await get('/auth/oidc/test/start?next=https://evil.example/&invite=' + 'i'.repeat(500));
  assert.equal(start.statusCode, 303);
  const flow = await h.db('sign_in_flows').orderBy('expires_at', 'desc').first();
  assert.deepEqual([flow.next, flow.invite], ['/apps', null], 'a foreign return path and an over-long invite are dropped');
  const cookie = start.cookies.find((c) => c.name === 'paas_signin_flow');
  assert.ok(cookie?.httpOnly && cookie.sameSite === 'Lax' && cookie.maxAge === 600, JSON.stringify(cookie));
});
