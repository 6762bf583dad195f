// core/accounts/passwords.test.ts — unit tests for password hashing (scrypt) and API token hashing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, hashToken, newToken, verifyPassword } from './passwords.ts';

test('a password hash verifies the password and nothing else', async () => {
  const stored = await hashPassword('correct-horse');
  assert.match(stored, /^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.ok(!stored.includes('correct-horse'));
  assert.equal(await verifyPassword('correct-horse', stored), true);
  assert.equal(await verifyPassword('correct-horsE', stored), false);
  assert.equal(await verifyPassword('', stored), false);
  assert.equal(await verifyPassword('correct-horse ', stored), false);
});

test('the same password hashes differently each time (random salt), and both verify', async () => {
  const [a, b] = await Promise.all([hashPassword('s3cret-pass'), hashPassword('s3cret-pass')]);
  assert.notEqual(a, b);
  assert.equal(await verifyPassword('s3cret-pass', a), true);
  assert.equal(await verifyPassword('s3cret-pass', b), true);
});

test('unicode passwords round-trip', async () => {
  const stored = await hashPassword('pässwörd-🔑');
  assert.equal(await verifyPassword('pässwörd-🔑', stored), true);
  assert.equal(await verifyPassword('passwort-🔑', stored), false);
});

test('a malformed stored hash never verifies', async () => {
  for (const stored of ['', 'plain', 'bcrypt$x$y', 'scrypt$16384$8$1$', 'scrypt$16384$8$1$c2FsdA==$']) {
    assert.equal(await verifyPassword('anything', stored), false, stored);
  }
});

test('tokens are random, prefixed, and stored only as a SHA-256 hash', () => {
  const a = newToken();
  const b = newToken();
  assert.notEqual(a, b);
  assert.match(a, /^paas_[A-Za-z0-9_-]{43}$/);
  const h = hashToken(a);
  assert.match(h, /^[0-9a-f]{64}$/);
  assert.equal(h, hashToken(a));
  assert.notEqual(h, hashToken(b));
  assert.ok(!h.includes(a.slice(5, 15)));
});
