// gitd/ref-updated.test.ts — a moved ref writes paas.ref.updated to the outbox and, in the same transaction, the
// outgoing webhooks' push deliveries, so they exist even when no controller listens when the event goes out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addWebhook } from '../services/webhooks.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { announceRefUpdated } from './ref-updated.ts';

test('announcing a moved ref writes the event and the hooks\' push deliveries, once per move', async (t) => {
  const db = await openTestSchema(t, 'refupd');
  if (!db) return;
  const [user] = await db('users').insert({ email: 'p@example.com', password_hash: 'x' }).returning('id');
  await db('apps').insert({ name: 'demo', owner_id: user.id });
  await addWebhook(db, { kind: 'operator' }, 'demo', 'http://127.0.0.1:9/', 'push', true);
  await addWebhook(db, { kind: 'operator' }, 'demo', 'http://127.0.0.1:9/', 'deploy.failed', true);
  const u = { ref: 'refs/heads/main', oldRev: '0'.repeat(40), newRev: 'a'.repeat(40) };
  await announceRefUpdated(db, 'demo', u, user.id);
  await announceRefUpdated(db, 'demo', u, user.id); // the same move announced again (the reconciler after a restart)
  assert.deepEqual((await db('outbox').select('subject')).map((r) => r.subject), ['paas.ref.updated', 'paas.ref.updated']);
  const rows = await db('webhook_deliveries_out').select('event', 'payload');
  assert.equal(rows.length, 1, 'one delivery: only the hook that wants push, and once');
  assert.deepEqual(rows[0].payload.data, { ref: 'refs/heads/main', before: u.oldRev, after: u.newRev, created: true, deleted: false, pusher: { email: 'p@example.com' } });
});
