// web/dashboard/auth.test.ts — sign-up, sign-in and sign-out through the dashboard's routes (inject, real
// PostgreSQL): the set-up link's admin, closed sign-ups, cookie attributes, no user enumeration, the atomic rate
// limit that locks out no owner, and sessions ended by sign-out, password change and disabling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { issueSetupToken } from '../../core/accounts/invites.ts';
import { LOGIN_LIMITS } from '../../core/accounts/login.ts';
import { loadConfig } from '../../core/config.ts';
import { Browser, signUp, startWeb } from '../../test/support/dashboard.ts';

const PW = 'correct-horse-battery';

test('the set-up link makes the first admin; users who come by invite are not admins', async (t) => {
  const h = await startWeb(t);
  const first = await signUp(h, 'first@example.com');
  const second = await signUp(h, 'second@example.com');
  assert.match((await first.get('/apps')).body, /href="\/admin"/);
  assert.doesNotMatch((await second.get('/apps')).body, /href="\/admin"/);
  assert.equal((await second.get('/admin')).status, 404);
  const rows = await h.db('users').orderBy('id').select('email', 'is_admin');
  assert.deepEqual(rows, [{ email: 'first@example.com', is_admin: true }, { email: 'second@example.com', is_admin: false }]);
});

test('the session cookie is HttpOnly, SameSite=Lax, Path=/, and Secure only behind TLS', async (t) => {
  const h = await startWeb(t);
  const plain = new Browser(h);
  const token = (await issueSetupToken(h.db))!;
  await plain.get(`/setup?token=${token}`);
  const r = await plain.post('/setup', { email: 'a@example.com', password: PW, token });
  const cookie = String(([] as string[]).concat(r.headers['set-cookie'] as string[]).find((c) => c.startsWith('paas_session=')));
  assert.match(cookie, /HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  assert.match(cookie, /Path=\//);
  assert.doesNotMatch(cookie, /Secure/);

  const tls = new Browser(h);
  await tls.get('/signin', { 'x-forwarded-proto': 'https' });
  const s = await tls.post('/signin', { email: 'a@example.com', password: PW }, { 'x-forwarded-proto': 'https' });
  assert.equal(s.status, 303);
  const secure = String(([] as string[]).concat(s.headers['set-cookie'] as string[]).find((c) => c.startsWith('paas_session=')));
  assert.match(secure, /; Secure/);
  assert.match(secure, /HttpOnly/);
  const stored = await h.db('sessions').select('id_hash');
  assert.ok(stored.every((row) => !secure.includes(row.id_hash)), 'only a hash of the session id is stored');
});

test('sign-ups are closed by default: the page says so and a POST is refused with E_SIGNUPS_CLOSED, until an admin opens them', async (t) => {
  const h = await startWeb(t);
  const admin = await signUp(h, 'admin@example.com');
  const visitor = new Browser(h);
  const page = await visitor.get('/signup');
  assert.equal(page.status, 403);
  assert.match(page.body, /Sign-ups are closed on this platform. Ask an admin for an invite link/);
  assert.doesNotMatch(page.body, /action="\/signup"/);
  await visitor.get('/signin'); // a page with a form, for the CSRF token
  const r = await visitor.post('/signup', { email: 'late@example.com', password: PW });
  assert.equal(r.status, 403);
  assert.match(r.body, /E_SIGNUPS_CLOSED/);
  assert.equal(await h.db('users').where({ email: 'late@example.com' }).first(), undefined);
  await admin.get('/admin');
  assert.equal((await admin.post('/admin/signups', { open: 'true' })).status, 303);
  assert.match((await visitor.get('/signup')).body, /action="\/signup"/);
  assert.equal((await visitor.post('/signup', { email: 'late@example.com', password: PW })).status, 303);
  assert.equal((await h.db('users').where({ email: 'late@example.com' }).first()).is_admin, false);
});

test('an unknown email and a wrong password get the same answer', async (t) => {
  const h = await startWeb(t);
  await signUp(h, 'known@example.com');
  const b = new Browser(h);
  await b.get('/signin');
  const unknown = await b.post('/signin', { email: 'nobody@example.com', password: PW });
  const wrong = await b.post('/signin', { email: 'known@example.com', password: 'not-the-password' });
  assert.equal(unknown.status, 401);
  assert.equal(wrong.status, 401);
  const message = (body: string) => /<div class="alert alert-error"[^>]*>(.*?)<\/div>/s.exec(body)?.[1];
  assert.equal(message(unknown.body), message(wrong.body));
  assert.match(message(wrong.body)!, /Email or password is wrong.*E_UNAUTHENTICATED/s);
});

test('after the pair limit of failures one address is locked out of one email; the owner still signs in from elsewhere', async (t) => {
  const h = await startWeb(t);
  await signUp(h, 'victim@example.com');
  await signUp(h, 'bystander@example.com');
  const attacker = new Browser(h, '10.0.0.66');
  await attacker.get('/signin');
  for (let i = 0; i < LOGIN_LIMITS.perPair; i++) assert.equal((await attacker.post('/signin', { email: 'victim@example.com', password: `guess-${i}-xx` })).status, 401);
  const locked = await attacker.post('/signin', { email: 'victim@example.com', password: PW });
  assert.equal(locked.status, 429, 'even the right password, from the attacking address');
  assert.match(locked.body, /E_RATE_LIMITED/);
  const owner = new Browser(h, '10.0.0.77');
  await owner.get('/signin');
  assert.equal((await owner.post('/signin', { email: 'victim@example.com', password: PW })).status, 303, 'the owner is not locked out');
  assert.equal((await attacker.post('/signin', { email: 'bystander@example.com', password: PW })).status, 303, 'the address may still try other emails');
  const unknown = new Browser(h, '10.0.0.88');
  await unknown.get('/signin');
  for (let i = 0; i < LOGIN_LIMITS.perPair; i++) await unknown.post('/signin', { email: 'ghost@example.com', password: 'whatever-1' });
  assert.equal((await unknown.post('/signin', { email: 'ghost@example.com', password: 'whatever-1' })).status, 429, 'unknown emails are limited alike');
});

test('one address gets the address limit of attempts across all emails; other addresses are not blocked', async (t) => {
  const h = await startWeb(t);
  await signUp(h, 'someone@example.com');
  const sprayer = new Browser(h, '10.0.0.99');
  await sprayer.get('/signin');
  for (let i = 0; i < LOGIN_LIMITS.perAddress; i++) await sprayer.post('/signin', { email: `user${i}@example.com`, password: 'spray-spray' });
  assert.equal((await sprayer.post('/signin', { email: 'someone@example.com', password: PW })).status, 429);
  const other = new Browser(h, '10.0.0.100');
  await other.get('/signin');
  assert.equal((await other.post('/signin', { email: 'someone@example.com', password: PW })).status, 303);
});

test('40 parallel wrong passwords from one address check at most the pair limit of them', async (t) => {
  const h = await startWeb(t);
  await signUp(h, 'victim@example.com');
  const attacker = new Browser(h, '10.0.0.42');
  await attacker.get('/signin');
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => attacker.post('/signin', { email: 'victim@example.com', password: `parallel-${i}` })));
  const checked = answers.filter((a) => a.status === 401).length;
  assert.equal(answers.filter((a) => a.status === 429).length, 40 - checked, 'every other attempt was refused unchecked');
  assert.ok(checked >= 1 && checked <= LOGIN_LIMITS.perPair, `${checked} passwords were checked`);
});

test('sign-out deletes the session: the old cookie no longer opens any page', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  const stolen = b.cookieHeader;
  assert.equal((await b.post('/signout')).status, 303);
  assert.equal((await b.get('/apps')).status, 303);
  const replay = await h.app.inject({ url: '/apps', headers: { cookie: stolen, accept: 'text/html' } });
  assert.equal(replay.statusCode, 303);
  assert.match(String(replay.headers.location), /^\/signin/);
  assert.equal(await h.db('sessions').first(), undefined);
});

test('a password change ends every session, and the browser that made it gets a new one', async (t) => {
  const h = await startWeb(t);
  const here = await signUp(h, 'a@example.com');
  const elsewhere = new Browser(h);
  await elsewhere.get('/signin');
  await elsewhere.post('/signin', { email: 'a@example.com', password: PW });
  const oldCookie = here.cookieHeader;
  await here.get('/account/password');
  const wrong = await here.post('/account/password', { current: 'nope-nope', new: 'new-password-1', confirm: 'new-password-1' });
  assert.equal(wrong.status, 401);
  const r = await here.post('/account/password', { current: PW, new: 'new-password-1', confirm: 'new-password-1' });
  assert.equal(r.status, 303);
  assert.equal((await here.get('/apps')).status, 200, 'this browser stays signed in');
  assert.notEqual(here.cookieHeader, oldCookie);
  assert.equal((await elsewhere.get('/apps')).status, 303, 'the other browser is signed out');
  const replay = await h.app.inject({ url: '/apps', headers: { cookie: oldCookie } });
  assert.equal(replay.statusCode, 303);
  const b = new Browser(h);
  await b.get('/signin');
  assert.equal((await b.post('/signin', { email: 'a@example.com', password: 'new-password-1' })).status, 303);
});

test('a disabled user is signed out at once, and an expired session asks to sign in again', async (t) => {
  const h = await startWeb(t);
  const admin = await signUp(h, 'admin@example.com');
  const bob = await signUp(h, 'bob@example.com');
  const bobId = (await h.db('users').where({ email: 'bob@example.com' }).first('id')).id;
  await admin.get('/admin');
  assert.equal((await admin.post(`/admin/users/${bobId}`, { action: 'disable' })).status, 303);
  assert.equal((await bob.get('/apps')).status, 303);
  const again = new Browser(h);
  await again.get('/signin');
  const refused = await again.post('/signin', { email: 'bob@example.com', password: PW });
  assert.equal(refused.status, 403);
  assert.match(refused.body, /disabled/);

  await h.db('sessions').update({ expires_at: new Date(Date.now() - 1000) });
  const expired = await admin.get('/apps/anything');
  assert.equal(expired.status, 303);
  assert.equal(expired.location, '/signin?next=%2Fapps%2Fanything&expired=1');
  assert.match((await admin.get(expired.location!)).body, /Your session has ended/);
});

test('signing in returns to the page asked for, but never to another site', async (t) => {
  const h = await startWeb(t);
  await signUp(h, 'a@example.com');
  for (const [next, to] of [['/account/keys', '/account/keys'], ['//evil.example/x', '/apps'], ['https://evil.example/', '/apps'], ['/\\evil.example', '/apps']]) {
    const b = new Browser(h);
    await b.get(`/signin?next=${encodeURIComponent(next!)}`);
    const r = await b.post('/signin', { email: 'a@example.com', password: PW, next: next! });
    assert.equal(r.location, to, `next=${next}`);
  }
});

test('a new session id is issued at sign-in (no fixation)', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  const before = b.cookies.get('paas_session');
  await b.get('/signin'); // signed in: redirected, no form
  await b.post('/signout');
  await b.get('/signin');
  b.cookies.set('paas_session', before!);
  await b.post('/signin', { email: 'a@example.com', password: PW });
  assert.notEqual(b.cookies.get('paas_session'), before);
});

test('X-Forwarded-For names the client only through the proxies PAAS_TRUST_PROXY names', async (t) => {
  const spray = async (b: Browser, n: number) => {
    for (let i = 0; i < n; i++) await b.post('/signin', { email: `user${i}@example.com`, password: 'spray-spray' }, { 'x-forwarded-for': `198.51.100.${i}` });
  };
  // Without it, a client cannot pose as many addresses: its own address is limited.
  const direct = await startWeb(t);
  await signUp(direct, 'someone@example.com');
  const forger = new Browser(direct, '10.0.0.99');
  await forger.get('/signin');
  await spray(forger, LOGIN_LIMITS.perAddress);
  assert.equal((await forger.post('/signin', { email: 'someone@example.com', password: PW }, { 'x-forwarded-for': '198.51.100.250' })).status, 429);
  // Behind a trusted proxy, each forwarded client has its own limit, and the proxy's address is not one shared by all.
  const proxied = await startWeb(t, { PAAS_TRUST_PROXY: '10.0.0.1' });
  await signUp(proxied, 'someone@example.com');
  const proxy = new Browser(proxied, '10.0.0.1');
  await proxy.get('/signin');
  await spray(proxy, LOGIN_LIMITS.perAddress);
  assert.equal((await proxy.post('/signin', { email: 'someone@example.com', password: PW }, { 'x-forwarded-for': '198.51.100.250' })).status, 303);
  assert.throws(() => loadConfig({ PAAS_TRUST_PROXY: 'everyone' }), /PAAS_TRUST_PROXY must be a hop count or addresses/);
});
