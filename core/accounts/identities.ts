// core/accounts/identities.ts — the linking rule of sign-in with a provider (web/dashboard/sign-in-routes.ts): which
// user a provider's account is, by its linked subject or its verified email, and when a first sign-in makes an account.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { PaasError } from '../errors.ts';
import type { Isolation } from '../isolation.ts';
import { signUp, toUser, type User } from './users.ts';

/** What a provider vouched for: its id, the account's stable subject, and its email with the verified flag. */
export interface ProviderIdentity { provider: string; subject: string; email?: string; emailVerified: boolean }

const disabled = () => new PaasError('E_FORBIDDEN', 'This account is disabled; ask an admin of this platform');


/** Records that the provider's subject is this user (a second link of the same subject is a no-op). */
async function link(db: Knex, id: ProviderIdentity, user: User): Promise<void> {
  await db('user_identities').insert({ provider: id.provider, subject: id.subject, user_id: user.id, email: user.email })
    .onConflict(['provider', 'subject']).ignore();
}

/**
 * Security boundary: the user a provider's sign-in is. A subject linked before is that user. Otherwise only a verified
 * email counts (E_EMAIL_UNVERIFIED): it links the user with that email, or makes a new account when an invite
 * (carried through the sign-in) or open sign-ups allow, as a password sign-up would (signUp's one rule). A
 * disabled user is refused either way. New accounts get a random password nobody knows.
 */
export async function userForIdentity(db: Knex, id: ProviderIdentity, by: { invite?: string; isolation: Isolation }): Promise<User> {
  const linked = await db('user_identities').join('users', 'users.id', 'user_identities.user_id')
    .where({ 'user_identities.provider': id.provider, 'user_identities.subject': id.subject }).first('users.*');
  if (linked) {
    if (linked.disabled) throw disabled();
    return toUser(linked);
  }
  if (!id.email || id.emailVerified !== true) {
    throw new PaasError('E_EMAIL_UNVERIFIED', `The provider does not say your email${id.email ? ` (${id.email.slice(0, 254)})` : ''} is verified, so it cannot be linked to an account here. Verify it at the provider, then sign in again`);
  }
  const email = id.email.trim().toLowerCase();
  const existing = await db('users').where({ email }).first();
  if (existing) {
    if (existing.disabled) throw disabled();
    const user = toUser(existing);
    await link(db, id, user);
    return user;
  }
  const password = crypto.randomBytes(32).toString('base64url');
  const user = await signUp(db, email, password, { kind: 'visitor', isolation: by.isolation, ...(by.invite ? { invite: by.invite } : {}) });
  await link(db, id, user);
  return user;
}

