// services/not-found.test.ts — removing what an app does not have is "not found" (404), not "invalid" (400):
// a config key that is not set, a domain that is not attached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestSchema } from '../test/support/test-schema.ts';
import { signUp } from '../core/accounts/users.ts';
import { errorCodes } from '../core/errors.ts';
import { createApp, removeDomain } from './apps.ts';
import { unsetConfig } from './releases.ts';

test('unsetting a key that is not set and removing a domain that is not attached are 404s naming it', async (t) => {
  const db = await openTestSchema(t, 'nf');
  if (!db) return;
  const owner = await signUp(db, 'owner@example.com', 'correct-horse', { kind: 'operator', admin: false });
  await createApp(db, owner, 'shop', { mode: 'sandbox', reason: 'test' });
  const actor = { kind: 'user', user: owner } as const;
  await assert.rejects(unsetConfig(db, actor, 'shop', ['MISSING']), { code: 'E_CONFIG_KEY_NOT_FOUND', message: 'Not set on this app: MISSING' });
  await assert.rejects(removeDomain(db, actor, 'shop', 'www.example.com'), { code: 'E_DOMAIN_NOT_FOUND', message: 'www.example.com is not attached to shop' });
  assert.equal(errorCodes.E_CONFIG_KEY_NOT_FOUND.status, 404);
  assert.equal(errorCodes.E_DOMAIN_NOT_FOUND.status, 404);
});
