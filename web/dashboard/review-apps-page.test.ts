// web/dashboard/review-apps-page.test.ts — the Review apps section of the settings page through inject(): turning
// them on with an expiry, overrides set and removed (escaped), the list with links, errors in the section, the
// section of a review app, the apps list's marker, and another user's app answering 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAs, signUp, startWeb } from '../../test/support/dashboard.ts';
import { ensureReviewApp, reviewParent } from '../../services/review-push.ts';
import type { IsolationState } from '../../core/isolation.ts';

const sandbox = { mode: 'sandbox', reason: 'test' } as unknown as IsolationState;

test('the settings page turns review apps on, keeps overrides and lists review apps with their links', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'shop');
  const first = await b.get('/apps/shop/settings');
  assert.match(first.body, /<section class="card" id="review-apps">/);
  assert.doesNotMatch(first.body, /name="enabled" checked/);
  assert.equal((await b.post('/apps/shop/review-apps', { enabled: 'on', expire: '3d' })).status, 303);
  assert.equal((await b.post('/apps/shop/review-apps/config', { key: 'GREETING', value: '<b>hi</b>' })).status, 303);
  const bad = await b.post('/apps/shop/review-apps', { enabled: 'on', expire: '10y' });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /E_REVIEW_EXPIRY_INVALID/);
  const badKey = await b.post('/apps/shop/review-apps/config', { key: 'bad key', value: 'x' });
  assert.match(badKey.body, /E_CONFIG_KEY_INVALID/);
  await ensureReviewApp(h.db, (await reviewParent(h.db, 'shop'))!, 'feature/x', sandbox);
  const page = (await b.get('/apps/shop/settings')).body;
  assert.match(page, /name="enabled" checked/);
  assert.match(page, /name="expire" value="3d"/);
  assert.match(page, /<code>&lt;b&gt;hi&lt;\/b&gt;<\/code>/);
  assert.match(page, /<a href="\/apps\/shop-feature-x">shop-feature-x<\/a><\/th><td><code>feature\/x<\/code><\/td>\s*<td><span class="muted">not deployed<\/span>/);
  assert.match((await b.get('/apps')).body, /href="\/apps\/shop-feature-x">shop-feature-x<\/a> <span class="muted small">review app of shop<\/span>/);
  const review = (await b.get('/apps/shop-feature-x/settings')).body;
  assert.match(review, /shop-feature-x is a review app: it cannot have review apps of its own/);
  assert.equal((await b.post('/apps/shop/review-apps/config/unset', { key: 'GREETING' })).status, 303);
  assert.doesNotMatch((await b.get('/apps/shop/settings')).body, /&lt;b&gt;hi/);
  assert.equal((await b.post('/apps/shop/review-apps', { expire: '7d' })).status, 303, 'unchecked: off');
  assert.deepEqual(await h.db('apps').orderBy('name').pluck('name'), ['shop'], 'turning them off destroyed shop-feature-x');
  const other = await signUp(h, 'b@example.com');
  assert.equal((await other.get('/apps/shop/settings')).status, 404);
  assert.equal((await other.post('/apps/shop/review-apps', { enabled: 'on', expire: '7d' })).status, 404);
});
