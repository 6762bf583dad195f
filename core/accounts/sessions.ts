// core/accounts/sessions.ts — dashboard sign-in sessions: a random id (only its hash is stored), its CSRF secret
// and expiry. Used by the dashboard; password changes and disabling a user end every session of that user.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { hashToken } from './passwords.ts';
import type { User } from './users.ts';

/** How long a session lasts after sign-in. */
export const SESSION_TTL_MS = 14 * 24 * 3600 * 1000;

export interface NewSession { token: string; csrf: string; expiresAt: Date }

export type SessionLookup =
  | { state: 'valid'; user: User; csrf: string; idHash: string }
  | { state: 'expired' }
  | { state: 'none' };

/** Starts a session for the user; the plain token goes in the cookie, only its hash is stored. */
export async function createSession(db: Knex, userId: number, ttlMs = SESSION_TTL_MS): Promise<NewSession> {
  const token = crypto.randomBytes(32).toString('base64url');
  const csrf = crypto.randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + ttlMs);
  await db('sessions').insert({ id_hash: hashToken(token), user_id: userId, csrf_secret: csrf, expires_at: expiresAt });
  return { token, csrf, expiresAt };
}

/** The session's user when the token is valid, unexpired and its user enabled; an expired one is removed. */
export async function lookupSession(db: Knex, token: string | undefined): Promise<SessionLookup> {
  if (!token || token.length > 100) return { state: 'none' };
  const idHash = hashToken(token);
  const row = await db('sessions').join('users', 'users.id', 'sessions.user_id').where({ 'sessions.id_hash': idHash })
    .first('users.id', 'users.email', 'users.is_admin', 'users.disabled', 'sessions.csrf_secret', 'sessions.expires_at');
  if (!row) return { state: 'none' };
  if (new Date(row.expires_at).getTime() <= Date.now() || row.disabled) {
    await db('sessions').where({ id_hash: idHash }).delete();
    return { state: 'expired' };
  }
  return { state: 'valid', idHash, csrf: row.csrf_secret, user: { id: row.id, email: row.email, isAdmin: row.is_admin, disabled: row.disabled } };
}

/** Ends one session (sign-out). */
export async function deleteSession(db: Knex, token: string): Promise<void> {
  await db('sessions').where({ id_hash: hashToken(token) }).delete();
}

/** Ends every session of a user (password change, account disabled). */
export async function deleteUserSessions(db: Knex | Knex.Transaction, userId: number): Promise<void> {
  await db('sessions').where({ user_id: userId }).delete();
}
