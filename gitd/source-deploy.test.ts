// gitd/source-deploy.test.ts — webhook deliveries a stopped gitd left behind are settled (a finished build gives its
// outcome, a fetch older than any fetch may last has failed, work in progress is left alone), and a delivery whose
// app was disconnected before the fetch fails with that reason; a claimed delivery never runs twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { MemoryBus } from '../core/bus.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import { handleSourcePush, settleInterrupted, staleFetchMs } from './source-deploy.ts';

test('interrupted deliveries are settled from their build, stale fetches fail, running ones are left', async (t) => {
  const db = await openTestSchema(t, 'srcdep');
  if (!db) return;
  const failed = await insertBuild(db, 'demo', { status: 'failed', number: 1 });
  const running = await insertBuild(db, 'demo', { status: 'building', number: 2 });
  const appId = (await db('apps').where({ name: 'demo' }).first('id')).id;
  const row = (delivery_id: string, outcome: string, extra: Record<string, unknown> = {}) => ({ app_id: appId, delivery_id, format: 'github', event: 'push', outcome, ...extra });
  await db('webhook_deliveries').insert([
    row('a', 'building', { build_id: failed }), row('b', 'building', { build_id: running }),
    row('c', 'fetching', { received_at: db.raw("now() - interval '23 minutes'") }), row('d', 'fetching', { received_at: db.raw("now() - interval '21 minutes'") }),
    row('e', 'deployed', { received_at: db.raw("now() - interval '1 day'") }),
  ]);
  // The bound: the push-lock wait (10 min) + the fetch timeout (10 min) + 2 min; it follows the deps' own settings.
  assert.equal(staleFetchMs({}), 22 * 60_000);
  assert.equal(staleFetchMs({ lockWaitMs: 1000, fetchTimeoutMs: 2000 }), 123_000);
  await settleInterrupted(db, staleFetchMs({}));
  const outcomes = Object.fromEntries((await db('webhook_deliveries').select('delivery_id', 'outcome')).map((r) => [r.delivery_id, r.outcome]));
  assert.deepEqual(outcomes, { a: 'failed', b: 'building', c: 'failed', d: 'fetching', e: 'deployed' });
  assert.match((await db('webhook_deliveries').where({ delivery_id: 'c' }).first('detail')).detail, /^no outcome 22 minutes after the delivery .*redeliver it/);
});

test('a delivery of an app disconnected before the fetch fails with that reason, once', async (t) => {
  const db = await openTestSchema(t, 'srcdep');
  if (!db) return;
  await insertBuild(db, 'demo', { status: 'failed' });
  const appId = (await db('apps').where({ name: 'demo' }).first('id')).id;
  const [{ id }] = await db('webhook_deliveries').insert({ app_id: appId, delivery_id: 'x', format: 'generic', event: 'push', outcome: 'queued' }).returning('id');
  const log = pino({ level: 'silent' });
  const deps = { db, bus: new MemoryBus(log), dataDir: '/nonexistent', log, PATH: process.env.PATH ?? '', leaseSeconds: 30, maxFetchBytes: 1024, allowPrivate: true };
  await handleSourcePush(deps, id, 'demo');
  const after = await db('webhook_deliveries').where({ id }).first('outcome', 'detail');
  assert.deepEqual(after, { outcome: 'failed', detail: 'the app was disconnected from its repository before the fetch' });
  await db('webhook_deliveries').where({ id }).update({ detail: 'unchanged' });
  await handleSourcePush(deps, id, 'demo'); // redelivered: claimed already, nothing runs
  assert.equal((await db('webhook_deliveries').where({ id }).first('detail')).detail, 'unchanged');
});

test('hostile: a repository connected by a collaborator who was then removed, or disabled, deploys no more', async (t) => {
  const db = await openTestSchema(t, 'srcdep');
  if (!db) return;
  await insertBuild(db, 'demo', { status: 'failed' });
  const appId = (await db('apps').where({ name: 'demo' }).first('id')).id;
  const [{ id: userId }] = await db('users').insert({ email: 'collab@example.com', password_hash: 'x' }).returning('id');
  await db('app_sources').insert({ app_id: appId, repo_url: 'https://git.example.com/x.git', branch: 'main', webhook_secret: 's', deploy_key_private: 'k', deploy_key_public: 'p', connected_by: userId });
  const log = pino({ level: 'silent' });
  const deps = { db, bus: new MemoryBus(log), dataDir: '/nonexistent', log, PATH: process.env.PATH ?? '', leaseSeconds: 30, maxFetchBytes: 1024, allowPrivate: true };
  const deliver = async (deliveryId: string) => {
    const [{ id }] = await db('webhook_deliveries').insert({ app_id: appId, delivery_id: deliveryId, format: 'generic', event: 'push', outcome: 'queued' }).returning('id');
    await handleSourcePush(deps, id, 'demo');
    return db('webhook_deliveries').where({ id }).first('outcome', 'detail');
  };
  const refused = { outcome: 'failed', detail: 'The user who connected demo to its repository may no longer deploy it (removed or disabled); someone with deploy access must run git:connect again' };
  assert.deepEqual(await deliver('removed'), refused); // never a collaborator (or removed since)
  await db('collaborators').insert({ app_id: appId, user_id: userId });
  await db('users').where({ id: userId }).update({ disabled: true });
  assert.deepEqual(await deliver('disabled'), refused);
});
