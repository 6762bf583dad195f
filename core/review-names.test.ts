// core/review-names.test.ts — review-app names from hostile branch names (long, unicode, `..`, only symbols), their
// hash suffixes, and the expiry at its boundaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from './errors.ts';
import { parseAppName } from './names.ts';
import { branchHash, formatExpiry, MAX_APP_NAME, parseExpiry, reviewAppNames, toBranchSlug } from './review-names.ts';

test('a branch slug is lower-case [a-z0-9-], runs collapsed, no dash at either end', () => {
  assert.equal(toBranchSlug('feature-x'), 'feature-x');
  assert.equal(toBranchSlug('Feature/Add_Login'), 'feature-add-login');
  assert.equal(toBranchSlug('--a//b__c--'), 'a-b-c');
  assert.equal(toBranchSlug('fix..dots'), 'fix-dots');
  assert.equal(toBranchSlug('fäture-ü'), 'f-ture');
  assert.equal(toBranchSlug('日本語'), '');
  assert.equal(toBranchSlug('!!!@@@'), '');
});

test('the plain name comes first, then two hashed ones; all are valid app names', () => {
  const names = reviewAppNames('shop', 'feature/X');
  assert.equal(names[0], 'shop-feature-x');
  assert.equal(names[1], `shop-feature-x-${branchHash('feature/X', 6)}`);
  assert.equal(names[2], `shop-feature-x-${branchHash('feature/X', 10)}`);
  for (const n of names) assert.equal(parseAppName(n), n);
});

test('two branches with the same slug differ in their hashed names', () => {
  const a = reviewAppNames('shop', 'feature/x');
  const b = reviewAppNames('shop', 'feature-x');
  assert.equal(a[0], b[0]);
  assert.notEqual(a[1], b[1]);
});

test('hostile branches: only symbols, unicode, dots, 250 characters, and a 63-character parent', () => {
  const parent63 = 'p'.repeat(MAX_APP_NAME);
  const cases: Array<[string, string]> = [
    ['shop', '!!!'], ['shop', '日本語'], ['shop', '..'], ['shop', 'a'.repeat(250)], ['shop', `${'-'.repeat(100)}x`],
    [parent63, 'feature'], [parent63, '日本'], ['a', 'b'.repeat(61)], ['a', 'b'.repeat(62)],
  ];
  for (const [parent, branch] of cases) {
    const names = reviewAppNames(parent, branch);
    assert.ok(names.length >= 2, `${parent}/${branch}`);
    for (const n of names) {
      assert.ok(n.length <= MAX_APP_NAME, n);
      assert.equal(parseAppName(n), n);
    }
  }
  assert.equal(reviewAppNames('shop', '!!!')[0], `shop-${branchHash('!!!', 6)}`, 'no slug: the parent and a hash');
  assert.equal(reviewAppNames('a', 'b'.repeat(61))[0], `a-${'b'.repeat(61)}`, '63 characters fit');
  assert.equal(reviewAppNames('a', 'b'.repeat(62))[0], `a-${'b'.repeat(54)}-${branchHash('b'.repeat(62), 6)}`, '64 are cut and hashed');
});

test('expiry: never, or 1h to 365d in m, h, d or w', () => {
  assert.equal(parseExpiry('never'), null);
  assert.equal(parseExpiry('1h'), 3600);
  assert.equal(parseExpiry('60m'), 3600);
  assert.equal(parseExpiry('7d'), 7 * 86_400);
  assert.equal(parseExpiry('2W'), 14 * 86_400);
  assert.equal(parseExpiry('365d'), 365 * 86_400);
  for (const bad of ['59m', '366d', '0d', '', '7', 'd', '-1d', '1.5d', '7d; rm -rf', '9999999d', 'forever']) {
    assert.throws(() => parseExpiry(bad), (e) => isPaasError(e, 'E_REVIEW_EXPIRY_INVALID'), bad);
  }
  assert.deepEqual([null, 3600, 7 * 86_400, 14 * 86_400, 36 * 3600, 90 * 60].map(formatExpiry), ['never', '1h', '7d', '14d', '36h', '90m']);
});
