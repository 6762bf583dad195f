// core/accounts/tokens.test.ts — API tokens against a real database: revoking one of your own works once; an
// unknown, already revoked or someone else's token id is E_TOKEN_NOT_FOUND (404), and changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from '../errors.ts';
import { openTestSchema } from '../../test/support/test-schema.ts';
import { createToken, listTokens, revokeToken, signUp, userForToken } from './users.ts';

test('tokens:revoke of an unknown, revoked or foreign token id is E_TOKEN_NOT_FOUND, not a usage error', async (t) => {
  const db = await openTestSchema(t, 'tokens');
  if (!db) return;
  const alice = await signUp(db, 'alice@example.com', 'correct-horse-battery', { kind: 'operator', admin: false });
  const bob = await signUp(db, 'bob@example.com', 'correct-horse-battery', { kind: 'operator', admin: false });
  const token = await createToken(db, alice.id, 'ci');
  const { id } = (await listTokens(db, alice.id))[0]!;
  const notFound = async (userId: number, tokenId: number) => {
    const err = await revokeToken(db, userId, tokenId).then(() => undefined, (e: unknown) => e);
    assert.ok(isPaasError(err, 'E_TOKEN_NOT_FOUND'), String(err));
    assert.equal(err.status, 404);
    assert.equal(err.message, `You have no active token with id ${tokenId}; list them with: tokens`);
  };
  await notFound(bob.id, id);
  assert.equal((await userForToken(db, token))?.id, alice.id, "bob's attempt left alice's token working");
  await notFound(alice.id, id + 1000);
  await revokeToken(db, alice.id, id);
  assert.equal(await userForToken(db, token), undefined);
  await notFound(alice.id, id);
});
