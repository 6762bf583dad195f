// web/dashboard/source-page.test.ts — the app's "Git host" tab through inject(): connect a repository (the CLI's URL
// rules, the form keeping what was typed), see the webhook URL, secret and deploy key, the deliveries with their
// build link, and disconnect; another user's app is the usual 404, and hostile text is escaped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAppAs, signUp, startWeb } from '../../test/support/dashboard.ts';
import { insertBuild } from '../../test/support/test-schema.ts';

test('the Git host tab connects a repository, shows what to enter at the host and the deliveries, and disconnects', async (t) => {
  const h = await startWeb(t);
  const b = await signUp(h, 'a@example.com');
  await createAppAs(b, 'demo');
  const empty = await b.get('/apps/demo/source', { host: 'paas.example.com:5000' });
  assert.match(empty.body, /demo is not connected to a repository/);
  assert.match(empty.body, /href="\/apps\/demo\/source"[^>]*>Git host</);
  const bad = await b.post('/apps/demo/source', { repoUrl: 'ext::sh -c "<script>x</script>"', branch: 'main' });
  assert.equal(bad.status, 400);
  assert.match(bad.body, /E_SOURCE_URL_INVALID/);
  assert.match(bad.body, /value="ext::sh -c &quot;&lt;script&gt;x&lt;\/script&gt;&quot;"/, 'kept, escaped');
  assert.equal((await b.post('/apps/demo/source', { repoUrl: 'git@github.com:me/demo.git', branch: 'prod' })).status, 303);
  const page = await b.get('/apps/demo/source', { host: 'paas.example.com:5000' });
  assert.match(page.body, /<code id="webhook-url">http:\/\/paas\.example\.com:5000\/hooks\/git\/demo<\/code>/);
  const { webhook_secret: secret } = await h.db('app_sources').first('webhook_secret');
  assert.match(page.body, new RegExp(`<code id="webhook-secret">${secret}</code>`));
  assert.match(page.body, /<pre id="deploy-key">ssh-ed25519 \S+ paas-deploy-key-demo<\/pre>/);
  assert.doesNotMatch(page.body, /PRIVATE KEY/);
  assert.match(page.body, /<input id="repo-url" name="repoUrl" required value="git@github\.com:me\/demo\.git"/);
  assert.match(page.body, /<input id="branch" name="branch" value="prod"/, 'the form shows the connected branch');
  assert.match(page.body, /No deliveries yet/);
  const overview = (await b.get('/apps/demo')).body;
  assert.match(overview, /A push to <code>prod<\/code> at the Git host deploys demo once its webhook is added there/);
  assert.match(overview, /<p id="deploys-from">Deploys from <code>prod<\/code> of <code>git@github\.com:me\/demo\.git<\/code>.*href="\/apps\/demo\/source"/);

  const buildId = await insertBuild(h.db, 'demo', { status: 'succeeded', number: 7 });
  const appId = (await h.db('apps').where({ name: 'demo' }).first('id')).id;
  await h.db('webhook_deliveries').insert({ app_id: appId, delivery_id: '<b>gh-1</b>', format: 'github', event: 'push', outcome: 'deployed', detail: 'abc1234 of prod is live', build_id: buildId });
  const listed = await b.get('/apps/demo/source');
  assert.match(listed.body, /<code>&lt;b&gt;gh-1&lt;\/b&gt;<\/code>/);
  assert.match(listed.body, /<a href="\/apps\/demo\/builds\/7">Build 7<\/a>/);
  assert.match(listed.body, /badge-deployed/);
  assert.doesNotMatch(listed.body, /hx-trigger="every 2s"|http-equiv="refresh"/, 'nothing under way: the card stays still');
  await h.db('webhook_deliveries').insert({ app_id: appId, delivery_id: 'gh-2', format: 'github', event: 'push', outcome: 'queued' });
  const pending = await b.get('/apps/demo/source');
  assert.match(pending.body, /<section class="card" id="deliveries-card" hx-get="\/apps\/demo\/source" hx-trigger="every 2s" hx-select="#deliveries-card"/);
  assert.match(pending.body, /<noscript><meta http-equiv="refresh" content="3"><\/noscript>/, 'and without JavaScript, the page');

  const other = await signUp(h, 'other@example.com');
  assert.equal((await other.get('/apps/demo/source')).status, 404);
  assert.equal((await other.post('/apps/demo/source', { repoUrl: 'https://x.example/a.git' })).status, 404);
  assert.equal((await b.post('/apps/demo/source/disconnect', {})).status, 303);
  assert.match((await b.get('/apps/demo/source')).body, /demo is no longer connected to a repository/);
  assert.doesNotMatch((await b.get('/apps/demo')).body, /deploys-from/, 'a disconnected app says git push again');
  assert.equal(await h.db('app_sources').count('* as n').first().then((r) => Number(r?.n)), 0);
});
