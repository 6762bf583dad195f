// web/dashboard/account-pages.test.ts — the account pages through inject(): SSH keys (validated with the
// CLI's messages, listed as ssh-keygen shows them, removed after a confirmation) and API tokens (shown once).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dsaPublicKey, keygen, sshKeygenFingerprint, truncatedKey } from '../../test/support/keys.ts';
import { signUp, startWeb } from '../../test/support/dashboard.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keys-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a pasted key is listed with type, comment, SHA256 fingerprint, added and last used', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  const file = keygen(tempDir(t), 'laptop', 'ed25519', undefined, 'me@laptop');
  const empty = await b.get('/account/keys');
  assert.match(empty.body, /You have no SSH keys yet/);
  const r = await b.post('/account/keys', { key: fs.readFileSync(`${file}.pub`, 'utf8') });
  assert.equal(r.status, 303);
  const { fingerprint } = sshKeygenFingerprint(`${file}.pub`);
  const page = await b.get('/account/keys');
  assert.match(page.body, new RegExp(`Added ssh-ed25519 key ${fingerprint.replace(/[+/]/g, '\\$&')} \\(me@laptop\\)`));
  const row = /<tbody>([\s\S]*?)<\/tbody>/.exec(page.body)![1]!;
  assert.match(row, /ed25519 <span class="muted">256<\/span>/);
  assert.match(row, /me@laptop/);
  assert.ok(row.includes(`<code class="fp">${fingerprint}</code>`));
  assert.match(row, /just now/);
  assert.match(row, /never/);
});

test('bad keys are refused with the same codes and messages as keys:add', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  const dir = tempDir(t);
  const good = fs.readFileSync(`${keygen(dir, 'k', 'ed25519')}.pub`, 'utf8');
  const cases: Array<[string, string, number, RegExp]> = [
    ['', 'E_KEY_INVALID', 400, /Paste a public key/],
    [fs.readFileSync(keygen(dir, 'priv', 'ed25519'), 'utf8'), 'E_KEY_PRIVATE', 400, /That is a private key/],
    [dsaPublicKey(dir), 'E_KEY_WEAK', 400, /DSA keys are refused/],
    [fs.readFileSync(`${keygen(dir, 'weak', 'rsa', 1024)}.pub`, 'utf8'), 'E_KEY_WEAK', 400, /at least 2048 bits; this one has 1024/],
    [truncatedKey(good), 'E_KEY_INVALID', 400, /damaged or truncated/],
    [`${good}${good}`, 'E_KEY_INVALID', 400, /one public key at a time/],
    ['hello world', 'E_KEY_INVALID', 400, /Not an SSH public key this platform accepts/],
  ];
  await b.get('/account/keys');
  for (const [key, code, status, message] of cases) {
    const r = await b.post('/account/keys', { key });
    assert.equal(r.status, status, code);
    assert.ok(r.body.includes(code), code);
    assert.match(r.body, message);
  }
  assert.equal((await b.post('/account/keys', { key: good })).status, 303);
  const dup = await b.post('/account/keys', { key: good });
  assert.equal(dup.status, 409);
  assert.match(dup.body, /E_KEY_EXISTS/);
});

test("removing a key asks first (without JavaScript: a page), deletes it, and another user's key is a 404", async (t) => {
  const h = await startWeb(t);
  const a = await signUp(h, 'a@example.com');
  const other = await signUp(h, 'other@example.com');
  const file = keygen(tempDir(t), 'k', 'ecdsa');
  await a.get('/account/keys');
  await a.post('/account/keys', { key: fs.readFileSync(`${file}.pub`, 'utf8') });
  const id = (await h.db('ssh_keys').first('id')).id;
  const list = await a.get('/account/keys');
  assert.match(list.body, new RegExp(`href="/account/keys/${id}/remove" hx-post="/account/keys/${id}/remove" hx-confirm="Remove the key SHA256:`));
  const confirm = await a.get(`/account/keys/${id}/remove`);
  assert.match(confirm.body, /It stops working for git at once/);
  assert.match(confirm.body, new RegExp(`<form method="post" action="/account/keys/${id}/remove"`));
  await other.get('/account/keys');
  assert.equal((await other.get(`/account/keys/${id}/remove`)).status, 404);
  assert.equal((await other.post(`/account/keys/${id}/remove`)).status, 404);
  assert.equal((await a.post(`/account/keys/${id}/remove`)).status, 303);
  assert.equal(await h.db('ssh_keys').first(), undefined);
});

test('an API token is shown once, works for the API, and stops working when revoked', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await b.get('/account/tokens');
  const created = await b.post('/account/tokens', { description: 'ci' });
  assert.equal(created.status, 201);
  const token = /<code id="new-token" class="secret">(paas_[A-Za-z0-9_-]+)<\/code>/.exec(created.body)?.[1];
  assert.ok(token, 'the new token is on the page');
  const list = await b.get('/account/tokens');
  assert.ok(!list.body.includes(token), 'never shown again');
  assert.ok(list.body.includes(`<code>${token.slice(0, 12)}…</code>`));
  const api = () => h.app.inject({ url: '/api/apps', headers: { authorization: `Bearer ${token}` } });
  assert.equal((await api()).statusCode, 200);
  const id = (await h.db('api_tokens').first('id')).id;
  assert.match((await b.get(`/account/tokens/${id}/revoke`)).body, /Anything using it \(API calls, git over HTTP\) stops working/);
  assert.equal((await b.post(`/account/tokens/${id}/revoke`)).status, 303);
  assert.equal((await api()).statusCode, 401);
});

test("a revoked, unknown or another user's token id is a 404 E_TOKEN_NOT_FOUND", async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await b.get('/account/tokens');
  await b.post('/account/tokens', { description: 'ci' });
  const id = (await h.db('api_tokens').first('id')).id;
  const other = await signUp(h, 'b@example.com');
  assert.equal((await b.post(`/account/tokens/${id}/revoke`)).status, 303);
  for (const [who, url] of [[other, `/account/tokens/${id}/revoke`], [b, `/account/tokens/${id}/revoke`], [b, '/account/tokens/999999/revoke']] as const) {
    const page = await who.get(url);
    assert.equal(page.status, 404, url);
    assert.match(page.body, /E_TOKEN_NOT_FOUND/, url);
  }
});

test('a password change checks the current password, the confirmation and the length', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await b.get('/account/password');
  const mismatch = await b.post('/account/password', { current: 'correct-horse-battery', new: 'new-password-1', confirm: 'new-password-2' });
  assert.equal(mismatch.status, 400);
  assert.match(mismatch.body, /differ/);
  const short = await b.post('/account/password', { current: 'correct-horse-battery', new: 'short', confirm: 'short' });
  assert.equal(short.status, 400);
  assert.match(short.body, /E_PASSWORD_INVALID/);
});
