// services/webhooks.test.ts — redelivery against real PostgreSQL: a redelivery of a redelivery keeps one suffix on
// its event key (no key that grows until the index refuses it), and a hook's queued redeliveries are capped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestSchema } from '../test/support/test-schema.ts';
import { addWebhook, MAX_QUEUED_REDELIVERIES, redeliver } from './webhooks.ts';

const operator = { kind: 'operator' } as const;

test('redelivering a redelivery keeps one suffix; queued redeliveries are capped per hook, at the boundary', async (t) => {
  const db = await openTestSchema(t, 'hookrd');
  if (!db) return;
  const [user] = await db('users').insert({ email: 'a@example.com', password_hash: 'x' }).returning('id');
  await db('apps').insert({ name: 'demo', owner_id: user.id });
  const hook = await addWebhook(db, operator, 'demo', 'http://127.0.0.1:9/', undefined, true);
  const first = '00000000-0000-4000-8000-000000000001';
  await db('webhook_deliveries_out').insert({ id: first, webhook_id: hook.id, event: 'push', event_key: 'push:x', payload: '{"event":"push"}', status: 'failed' });
  let id = first;
  for (let i = 0; i < MAX_QUEUED_REDELIVERIES; i++) id = await redeliver(db, operator, 'demo', id);
  const key = (await db('webhook_deliveries_out').where({ id }).first('event_key')).event_key;
  assert.equal(key, `push:x#redeliver:${id}`, 'one suffix, however deep the chain');
  await assert.rejects(redeliver(db, operator, 'demo', id), (e: Error & { code?: string }) => e.code === 'E_HOOK_REDELIVER_LIMIT' && /5 redeliveries waiting/.test(e.message));
  await db('webhook_deliveries_out').where({ id }).update({ status: 'succeeded' });
  assert.match(await redeliver(db, operator, 'demo', id), /^[0-9a-f-]{36}$/, 'one sent: room for one more');
});
