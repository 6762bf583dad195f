// gitd/push-lock.test.ts — the push lock's refusals against the real PostgreSQL, and how they are counted: a refused
// push (SSH's acquire, HTTP's GET /info/refs check) is one `refused` push and one lock refusal; ref-reconcile.ts's
// own use of the lock counts nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from '../core/errors.ts';
import { metricsText } from '../core/metrics/registry.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { acquirePushLock, refuseIfPushLocked } from './push-lock.ts';

const valueOf = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);

async function counts() {
  const text = (await metricsText()).body;
  return {
    refused: valueOf(text, 'paas_pushes_total{outcome="refused"}'),
    lockRefusals: valueOf(text, 'paas_push_lock_refusals_total'),
    waits: valueOf(text, 'paas_push_lock_wait_seconds_count{result="refused"}'),
  };
}

const locked = (err: unknown) => isPaasError(err, 'E_PUSH_LOCKED');

test('a push refused by the lock is counted once as a refused push, whether refused at GET /info/refs (HTTP) or at the acquire (SSH)', async (t) => {
  const db = await openTestSchema(t, 'pushlock');
  if (!db) return;
  await refuseIfPushLocked(db, 'free'); // nobody holds it: no refusal, nothing counted
  const lease = await acquirePushLock(db, 'busy', 0, 60);
  try {
    const before = await counts();
    await assert.rejects(refuseIfPushLocked(db, 'busy'), locked);
    const afterHttp = await counts();
    assert.deepEqual(afterHttp, { refused: before.refused + 1, lockRefusals: before.lockRefusals + 1, waits: before.waits + 1 }, 'HTTP: GET /info/refs');
    await assert.rejects(acquirePushLock(db, 'busy', 0, 60), locked);
    assert.deepEqual(await counts(), { refused: afterHttp.refused + 1, lockRefusals: afterHttp.lockRefusals + 1, waits: afterHttp.waits + 1 }, 'SSH: the acquire');
  } finally {
    await lease.release(); // before the schema's cleanup closes the pool
  }
});

test('the lock taken by ref reconciliation (not a push) counts no push and no refusal', async (t) => {
  const db = await openTestSchema(t, 'pushlock');
  if (!db) return;
  const lease = await acquirePushLock(db, 'busy', 0, 60);
  try {
    const before = await counts();
    await assert.rejects(acquirePushLock(db, 'busy', 0, 60, { notAPush: true }), locked);
    const other = await acquirePushLock(db, 'quiet', 0, 60, { notAPush: true });
    await other.release();
    assert.deepEqual(await counts(), before);
  } finally {
    await lease.release();
  }
});
