// web/dashboard/webhooks-pages.test.ts — the app's Webhooks tab through inject(): add (the secret shown on that
// answer only), the delivery log with Redeliver, remove after a confirmation, errors as the error partial, and
// another user's app answered like a missing one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAs, signUp, startWeb } from '../../test/support/dashboard.ts';

test('the Webhooks tab adds a hook (secret once), shows the delivery log, redelivers and removes', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const empty = await b.get('/apps/demo/webhooks');
  assert.equal(empty.status, 200);
  assert.match(empty.body, /id="no-webhooks"/);
  assert.match(empty.body, /href="\/apps\/demo\/webhooks"/, 'the tab is in the app header');
  const added = await b.post('/apps/demo/webhooks', { url: 'https://93.184.216.34/hook', events: 'deploy.failed' });
  assert.equal(added.status, 201, added.body);
  const secret = /id="webhook-secret">([0-9a-f]{64})</.exec(added.body)?.[1];
  assert.ok(secret, 'the secret is shown');
  const hook = await h.db('outgoing_webhooks').first();
  assert.deepEqual(hook.events, ['deploy.failed']);
  const again = await b.get('/apps/demo/webhooks');
  assert.doesNotMatch(again.body, new RegExp(secret!), 'and only once');
  assert.match(again.body, /<code>https:\/\/93\.184\.216\.34\/hook<\/code>/);

  await h.db('webhook_deliveries_out').insert({ id: '00000000-0000-4000-8000-0000000000aa', webhook_id: hook.id, event: 'deploy.failed', event_key: 'deploy:1:failed', payload: '{}', status: 'failed', attempt: 6, response_code: 503, error: 'HTTP 503: <b>down</b>' });
  const log = await b.get('/apps/demo/webhooks');
  assert.match(log.body, /<tr class="delivery-failed">[\s\S]*<code>deploy\.failed<\/code>[\s\S]*<td>6<\/td>[\s\S]*503 <span class="muted">HTTP 503: &lt;b&gt;down&lt;\/b&gt;<\/span>/);
  const re = await b.post('/apps/demo/webhooks/redeliver', { delivery: '00000000-0000-4000-8000-0000000000aa' });
  assert.equal(re.status, 303);
  assert.equal(await h.db('webhook_deliveries_out').where({ status: 'pending' }).count('* as n').first().then((r) => Number(r!.n)), 1);

  const bad = await b.post('/apps/demo/webhooks', { url: 'http://169.254.169.254/latest' });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /E_HOOK_URL_REFUSED/);
  assert.match(bad.body, /value="http:\/\/169\.254\.169\.254\/latest"/, 'the form keeps what was typed');

  assert.match((await b.get(`/apps/demo/webhooks/remove?id=${hook.id}`)).body, /Stop sending demo&#x27;s events to https:\/\/93\.184\.216\.34\/hook\?/);
  assert.equal((await b.get('/apps/demo/webhooks/remove?id=999')).status, 404);
  assert.equal((await b.post('/apps/demo/webhooks/remove', { id: String(hook.id) })).status, 303);
  assert.equal(await h.db('outgoing_webhooks').first(), undefined);
});

test("another user's app has no Webhooks tab for them: 404 as for a missing app, nothing added", async (t) => {
  const h = await startWeb(t);
  const alice = await signUp(h, 'alice@example.com');
  await createAppAs(alice, 'alpha');
  const mallory = await signUp(h, 'mallory@example.com');
  await mallory.get('/apps');
  assert.equal((await mallory.get('/apps/alpha/webhooks')).status, 404);
  assert.equal((await mallory.post('/apps/alpha/webhooks', { url: 'https://93.184.216.34/x' })).status, 404);
  assert.equal(await h.db('outgoing_webhooks').first(), undefined);
});
