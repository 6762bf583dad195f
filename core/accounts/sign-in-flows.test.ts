// core/accounts/sign-in-flows.test.ts — a provider sign-in's flow rows on a real PostgreSQL schema: anyone may start
// one, so one address holds at most FLOWS_PER_ADDRESS live flows (hostile: a flood of starts); a flow is used once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestSchema } from '../../test/support/test-schema.ts';
import { FLOWS_PER_ADDRESS, startFlow, takeFlow } from './sign-in-flows.ts';

test('hostile: a flood of sign-in starts from one address stops at the cap with E_RATE_LIMITED; other addresses still start', async (t) => {
  const db = await openTestSchema(t, 'flows');
  if (!db) return;
  const flows = [];
  for (let i = 0; i < FLOWS_PER_ADDRESS; i++) flows.push(await startFlow(db, 'test', '/apps', '203.0.113.7'));
  await assert.rejects(startFlow(db, 'test', '/apps', '203.0.113.7'), (err: { code?: string; message?: string }) =>
    err.code === 'E_RATE_LIMITED' && /at most 30/.test(err.message ?? ''));
  await startFlow(db, 'test', '/apps', '203.0.113.8');
  await takeFlow(db, flows[0]!.id, 'test'); // a finished flow frees its place, and cannot be used again
  await startFlow(db, 'test', '/apps', '203.0.113.7');
  await assert.rejects(takeFlow(db, flows[0]!.id, 'test'), { code: 'E_SIGNIN_INVALID' });
});
