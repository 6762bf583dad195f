// core/accounts/users.ts — users, their SSH keys and API tokens; used by gitd (auth) and the controller (CLI, API).
import type { Knex } from 'knex';
import { PaasError } from '../errors.ts';
import { parseEmail } from '../names.ts';
import { hashPassword, hashToken, newToken, verifyPassword } from './passwords.ts';
import { deleteUserSessions } from './sessions.ts';
import { parsePublicKey, type PublicKeyInfo } from './ssh-keys.ts';
import { getSettings, requireAdmin, signupsAllowed } from '../settings.ts';
import type { Isolation } from '../isolation.ts';
import { consumeInvite, consumeSetupToken, markInviteUsed } from './invites.ts';
import type { Actor } from '../access.ts';

export interface User { id: number; email: string; isAdmin: boolean; disabled: boolean }

export interface UserRow { id: number; email: string; is_admin: boolean; disabled: boolean }
/** A users row as the User the rest of the code passes around. */
export const toUser = (r: UserRow): User => ({ id: r.id, email: r.email, isAdmin: r.is_admin, disabled: r.disabled });

/** Inserts a user; the password must be at least 8 characters. Only signUp calls it, under the sign-up lock. */
async function insertUser(db: Knex.Transaction, emailRaw: string, password: string, isAdmin: boolean): Promise<User> {
  const email = parseEmail(emailRaw);
  checkNewPassword(password);
  if (await db('users').where({ email }).first()) throw new PaasError('E_USER_EXISTS', `A user with the email ${email} already exists`);
  const [row] = await db('users').insert({ email, password_hash: await hashPassword(password), is_admin: isAdmin }).returning('*');
  return toUser(row);
}

/** Throws E_PASSWORD_INVALID unless the password has 8 to 1024 characters. */
function checkNewPassword(password: string): void {
  if (password.length < 8) throw new PaasError('E_PASSWORD_INVALID', 'Passwords need at least 8 characters');
  if (password.length > 1024) throw new PaasError('E_PASSWORD_INVALID', 'Passwords can have at most 1024 characters');
}

const SIGNUP_LOCK = 0x7061_6173; // serialises sign-ups, so exactly one set-up link or first operator user becomes admin

/**
 * Who creates the account: the visitor of the one-time set-up link (the first admin), a visitor (with an invite, or
 * while sign-ups are open and tenants are sandboxed), or the local operator (`users:create`, maybe `--admin`).
 */
export type SignUpBy =
  | { kind: 'setup'; token: string }
  | { kind: 'visitor'; invite?: string; isolation: Isolation }
  | { kind: 'operator'; admin: boolean };

/** Checks that this kind of sign-up may happen now (inside the lock), and whether it makes an admin. */
async function admit(trx: Knex.Transaction, by: SignUpBy, first: boolean): Promise<{ admin: boolean; inviteId?: number }> {
  if (by.kind === 'operator') return { admin: first || by.admin }; // the operator already holds the data dir
  if (by.kind === 'setup') {
    if (!first) throw new PaasError('E_NOT_FOUND', 'This platform is set up already; sign in instead');
    await consumeSetupToken(trx, by.token);
    return { admin: true };
  }
  if (first) throw new PaasError('E_SETUP_REQUIRED', 'This platform has no admin yet: open the one-time set-up link it printed at start');
  if (by.invite) return { admin: false, inviteId: await consumeInvite(trx, by.invite) };
  if (!signupsAllowed(await getSettings(trx), by.isolation)) {
    throw new PaasError('E_SIGNUPS_CLOSED', 'Sign-ups are closed on this platform; ask an admin for an invite link');
  }
  return { admin: false };
}

/**
 * The one sign-up rule. Sign-ups are serialised by an advisory lock, so the set-up link makes exactly one admin.
 * On the dashboard only the set-up link makes an admin; the local operator's first user is an admin too.
 */
export async function signUp(db: Knex, emailRaw: string, password: string, by: SignUpBy): Promise<User> {
  return db.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [SIGNUP_LOCK]);
    const first = !(await trx('users').first('id'));
    const { admin, inviteId } = await admit(trx, by, first);
    const user = await insertUser(trx, emailRaw, password, admin);
    if (inviteId !== undefined) await markInviteUsed(trx, inviteId, user.id);
    return user;
  });
}

/** Changes a user's password after checking the current one, and ends all of the user's sessions. */
export async function changePassword(db: Knex, userId: number, current: string, next: string): Promise<void> {
  const row = await db('users').where({ id: userId }).first('password_hash');
  if (!row || !(await verifyPassword(current.slice(0, 1024), row.password_hash))) {
    throw new PaasError('E_UNAUTHENTICATED', 'Your current password is wrong');
  }
  checkNewPassword(next);
  const hash = await hashPassword(next);
  await db.transaction(async (trx) => {
    await trx('users').where({ id: userId }).update({ password_hash: hash });
    await deleteUserSessions(trx, userId);
  });
}

/** Admins grant or revoke admin rights, and disable or enable accounts (not their own); disabling ends sessions. */
export async function updateUser(db: Knex, actor: Actor, userId: number, change: { isAdmin?: boolean; disabled?: boolean }): Promise<User> {
  requireAdmin(actor, 'change users');
  if (actor.kind === 'user' && actor.user.id === userId) throw new PaasError('E_FORBIDDEN', 'You cannot change your own role or disable yourself; ask another admin');
  return db.transaction(async (trx) => {
    const patch = { ...(change.isAdmin === undefined ? {} : { is_admin: change.isAdmin }), ...(change.disabled === undefined ? {} : { disabled: change.disabled }) };
    const [row] = await trx('users').where({ id: userId }).update(patch).returning('*');
    if (!row) throw new PaasError('E_USER_NOT_FOUND', `No user with id ${userId}`);
    if (change.disabled) await deleteUserSessions(trx, userId);
    return toUser(row);
  });
}

/** The user with this id, or undefined. */
export async function getUserById(db: Knex, id: number): Promise<User | undefined> {
  const row = await db('users').where({ id }).first();
  return row ? toUser(row) : undefined;
}

/** Finds a user by email, or throws E_USER_NOT_FOUND. */
export async function getUserByEmail(db: Knex, emailRaw: string): Promise<User> {
  const row = await db('users').where({ email: parseEmail(emailRaw) }).first();
  if (!row) throw new PaasError('E_USER_NOT_FOUND', `No user with the email ${String(emailRaw).trim().toLowerCase()}`);
  return toUser(row);
}

export async function listUsers(db: Knex): Promise<User[]> {
  return (await db('users').orderBy('id')).map(toUser);
}

export interface StoredKey extends PublicKeyInfo { id: number; createdAt: Date; lastUsedAt: Date | null }

/** Adds an SSH public key to a user after parsing it (the security boundary is parsePublicKey). */
export async function addKey(db: Knex, userId: number, text: string): Promise<PublicKeyInfo> {
  if (text.split('\n').filter((l) => l.trim()).length > 1 && !/PRIVATE KEY/.test(text)) {
    throw new PaasError('E_KEY_INVALID', 'Give one public key at a time (one line)');
  }
  const key = parsePublicKey(text);
  const existing = await db('ssh_keys').where({ fingerprint: key.fingerprint }).first();
  if (existing) throw new PaasError('E_KEY_EXISTS', `The key ${key.fingerprint} is already registered`);
  await db('ssh_keys').insert({ user_id: userId, type: key.type, bits: key.bits, fingerprint: key.fingerprint, public_key: key.publicKey, comment: key.comment });
  return key;
}

export async function listKeys(db: Knex, userId: number): Promise<StoredKey[]> {
  const rows = await db('ssh_keys').where({ user_id: userId }).orderBy('id');
  return rows.map((r) => ({ id: r.id, type: r.type, bits: r.bits, fingerprint: r.fingerprint, publicKey: r.public_key, comment: r.comment, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

/** Removes one of the user's keys by fingerprint; it stops working for git at once. */
export async function removeKey(db: Knex, userId: number, fingerprint: string): Promise<void> {
  const n = await db('ssh_keys').where({ user_id: userId, fingerprint: fingerprint.trim() }).delete();
  if (!n) throw new PaasError('E_KEY_NOT_FOUND', `You have no key with the fingerprint ${fingerprint.trim()}; list them with: keys`);
}

/** The enabled user owning an SSH key (by fingerprint of its blob), or undefined. Records the last use. */
export async function userForKey(db: Knex, fingerprint: string): Promise<User | undefined> {
  const row = await db('ssh_keys').join('users', 'users.id', 'ssh_keys.user_id')
    .where({ 'ssh_keys.fingerprint': fingerprint, 'users.disabled': false })
    .first('users.*', 'ssh_keys.id as key_id', 'ssh_keys.public_key');
  if (!row) return undefined;
  await db('ssh_keys').where({ id: row.key_id }).update({ last_used_at: db.fn.now() });
  return toUser(row);
}

/** Creates an API token; the plain token is returned once and only its hash is stored. */
export async function createToken(db: Knex, userId: number, description = ''): Promise<string> {
  const token = newToken();
  await db('api_tokens').insert({ user_id: userId, token_hash: hashToken(token), prefix: token.slice(0, 12), description });
  return token;
}

export async function listTokens(db: Knex, userId: number): Promise<Array<{ id: number; prefix: string; description: string; createdAt: Date; lastUsedAt: Date | null }>> {
  const rows = await db('api_tokens').where({ user_id: userId }).whereNull('revoked_at').orderBy('id');
  return rows.map((r) => ({ id: r.id, prefix: r.prefix, description: r.description, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

export async function revokeToken(db: Knex, userId: number, id: number): Promise<void> {
  const n = await db('api_tokens').where({ user_id: userId, id }).whereNull('revoked_at').update({ revoked_at: db.fn.now() });
  if (!n) throw new PaasError('E_TOKEN_NOT_FOUND', `You have no active token with id ${id}; list them with: tokens`);
}

/** The enabled user owning an unrevoked API token, or undefined. */
export async function userForToken(db: Knex, token: string): Promise<User | undefined> {
  if (!token.startsWith('paas_')) return undefined;
  const row = await db('api_tokens').join('users', 'users.id', 'api_tokens.user_id')
    .where({ 'api_tokens.token_hash': hashToken(token), 'users.disabled': false }).whereNull('api_tokens.revoked_at')
    .first('users.*', 'api_tokens.id as token_id');
  if (!row) return undefined;
  await db('api_tokens').where({ id: row.token_id }).update({ last_used_at: db.fn.now() });
  return toUser(row);
}
