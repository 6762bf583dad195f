// core/accounts/users.test.ts — the one sign-up rule against real PostgreSQL: the first user becomes admin even
// when sign-ups race, the dashboard's and the CLI's alike; later visitors need sign-ups open, the operator does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestSchema } from '../../test/support/test-schema.ts';
import { setSignupsOpen } from '../settings.ts';
import { signUp, type User } from './users.ts';

test('two sign-ups racing on a fresh schema make exactly one admin', async (t) => {
  const db = await openTestSchema(t, 'signup');
  if (!db) return;
  // Both check "is anyone here?" before either inserts (hashing the password takes a while), unless serialised.
  for (let round = 0; round < 5; round++) {
    await db('users').delete();
    const users: User[] = await Promise.all([
      signUp(db, `visitor-${round}@example.com`, 'correct-horse'),
      signUp(db, `operator-${round}@example.com`, 'correct-horse', { kind: 'operator', admin: false }),
    ]);
    assert.equal(users.filter((u) => u.isAdmin).length, 1, `round ${round}: ${JSON.stringify(users)}`);
    assert.equal((await db('users').where({ is_admin: true })).length, 1);
  }
});

test('later visitors need sign-ups open; the operator creates accounts, admins too, at any time', async (t) => {
  const db = await openTestSchema(t, 'signup');
  if (!db) return;
  assert.equal((await signUp(db, 'first@example.com', 'correct-horse')).isAdmin, true);
  assert.equal((await signUp(db, 'second@example.com', 'correct-horse')).isAdmin, false);
  await setSignupsOpen(db, { kind: 'operator' }, false);
  await assert.rejects(signUp(db, 'late@example.com', 'correct-horse'), { code: 'E_SIGNUPS_CLOSED' });
  assert.equal((await signUp(db, 'ops@example.com', 'correct-horse', { kind: 'operator', admin: false })).isAdmin, false);
  assert.equal((await signUp(db, 'root@example.com', 'correct-horse', { kind: 'operator', admin: true })).isAdmin, true);
});
