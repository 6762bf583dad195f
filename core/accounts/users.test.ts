// core/accounts/users.test.ts — the one sign-up rule against real PostgreSQL: the set-up token makes exactly one
// admin even when uses race; later visitors need an invite or open sign-ups (never in single-tenant mode); the
// operator creates accounts, admins too, at any time, and its first user is the admin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestSchema } from '../../test/support/test-schema.ts';
import { setSignupsOpen } from '../settings.ts';
import { createInvite, issueSetupToken } from './invites.ts';
import { signUp, type User } from './users.ts';

const sandboxed = { kind: 'visitor', isolation: 'sandbox' } as const;

test('two uses of the set-up link racing on a fresh schema make exactly one admin; the operator racing them too', async (t) => {
  const db = await openTestSchema(t, 'signup');
  if (!db) return;
  for (let round = 0; round < 3; round++) {
    await db('users').delete();
    const token = (await issueSetupToken(db))!;
    const results: Array<PromiseSettledResult<User>> = await Promise.allSettled([
      signUp(db, `setup-a-${round}@example.com`, 'correct-horse', { kind: 'setup', token }),
      signUp(db, `setup-b-${round}@example.com`, 'correct-horse', { kind: 'setup', token }),
      signUp(db, `operator-${round}@example.com`, 'correct-horse', { kind: 'operator', admin: false }),
    ]);
    const made: User[] = results.filter((r): r is PromiseFulfilledResult<User> => r.status === 'fulfilled').map((r) => r.value);
    assert.equal(made.filter((u) => u.isAdmin).length, 1, `round ${round}: ${JSON.stringify(results)}`);
    assert.equal((await db('users').where({ is_admin: true })).length, 1);
  }
});

test('a restart replaces the set-up token; a visitor cannot be the first user without it', async (t) => {
  const db = await openTestSchema(t, 'signup');
  if (!db) return;
  const old = (await issueSetupToken(db))!;
  const current = (await issueSetupToken(db))!;
  await assert.rejects(signUp(db, 'early@example.com', 'correct-horse', sandboxed), { code: 'E_SETUP_REQUIRED' });
  await assert.rejects(signUp(db, 'old@example.com', 'correct-horse', { kind: 'setup', token: old }), { code: 'E_SETUP_TOKEN_INVALID' });
  assert.equal((await signUp(db, 'admin@example.com', 'correct-horse', { kind: 'setup', token: current })).isAdmin, true);
  assert.equal(await issueSetupToken(db), undefined, 'no set-up link once a user exists');
  assert.equal(await db('invites').where({ kind: 'setup' }).first(), undefined);
});

test('later visitors need an invite or open sign-ups, never in single-tenant mode without an invite; the operator at any time', async (t) => {
  const db = await openTestSchema(t, 'signup');
  if (!db) return;
  const first = await signUp(db, 'first@example.com', 'correct-horse', { kind: 'operator', admin: false });
  assert.equal(first.isAdmin, true, "the operator's first user is the admin");
  await assert.rejects(signUp(db, 'closed@example.com', 'correct-horse', sandboxed), { code: 'E_SIGNUPS_CLOSED' });
  const { token } = await createInvite(db, { kind: 'user', user: first });
  assert.equal((await signUp(db, 'invited@example.com', 'correct-horse', { ...sandboxed, invite: token })).isAdmin, false);
  await setSignupsOpen(db, { kind: 'operator' }, true);
  assert.equal((await signUp(db, 'open@example.com', 'correct-horse', sandboxed)).isAdmin, false);
  await assert.rejects(signUp(db, 'single@example.com', 'correct-horse', { kind: 'visitor', isolation: 'none' }), { code: 'E_SIGNUPS_CLOSED' });
  assert.equal((await signUp(db, 'root@example.com', 'correct-horse', { kind: 'operator', admin: true })).isAdmin, true);
});

test('an invite works once, not after it expires, and a failed sign-up does not use it up', async (t) => {
  const db = await openTestSchema(t, 'signup');
  if (!db) return;
  const admin = await signUp(db, 'admin@example.com', 'correct-horse', { kind: 'operator', admin: true });
  const plain = await signUp(db, 'plain@example.com', 'correct-horse', { kind: 'operator', admin: false });
  await assert.rejects(createInvite(db, { kind: 'user', user: plain }), { code: 'E_FORBIDDEN' });
  const { token } = await createInvite(db, { kind: 'user', user: admin });
  await assert.rejects(signUp(db, 'plain@example.com', 'correct-horse', { ...sandboxed, invite: token }), { code: 'E_USER_EXISTS' });
  await signUp(db, 'new@example.com', 'correct-horse', { ...sandboxed, invite: token });
  await assert.rejects(signUp(db, 'again@example.com', 'correct-horse', { ...sandboxed, invite: token }), { code: 'E_INVITE_INVALID' });
  const late = await createInvite(db, { kind: 'operator' }, 1);
  await db('invites').whereNull('used_at').update({ expires_at: new Date(Date.now() - 1000) });
  await assert.rejects(signUp(db, 'late@example.com', 'correct-horse', { ...sandboxed, invite: late.token }), { code: 'E_INVITE_INVALID' });
});
