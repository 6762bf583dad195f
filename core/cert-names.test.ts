// core/cert-names.test.ts — certificate name matching (exact, one-label wildcard) and ACME eligibility.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acmeEligibility, namesCover } from './cert-names.ts';

test('a wildcard covers exactly one label under its parent; exact names match case-insensitively', () => {
  const names = ['*.apps.example.com', 'Shop.Example.org'];
  assert.ok(namesCover(names, 'a.apps.example.com'));
  assert.ok(namesCover(names, 'A.APPS.example.com.'));
  assert.ok(namesCover(names, 'shop.example.org'));
  assert.ok(!namesCover(names, 'apps.example.com'), 'not the parent itself');
  assert.ok(!namesCover(names, 'a.b.apps.example.com'), 'not two labels deep');
  assert.ok(!namesCover(names, 'evilapps.example.com'));
  assert.ok(!namesCover(names, 'www.shop.example.org'));
});

test('ACME eligibility: public DNS names only', () => {
  assert.deepEqual(acmeEligibility('shop.example.com'), { eligible: true });
  for (const host of ['localhost', 'x.localhost', 'X.LOCALHOST.', '127.0.0.1', '::1', '0x7f.1', 'intranet', '*.example.com', '']) {
    assert.equal(acmeEligibility(host).eligible, false, host);
  }
});
