// core/accounts/invites.ts — who may create an account on the dashboard: the one-time set-up token of a fresh
// install (the first admin) and admins' single-use, expiring invites. Only hashes of the tokens are stored.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { Actor } from '../access.ts';
import type { Config } from '../config.ts';
import { PaasError } from '../errors.ts';
import { requireAdmin } from '../settings.ts';
import { hashToken } from './passwords.ts';

/** How long an invite lasts unless the admin says otherwise, and the longest it may. */
export const INVITE_TTL = { defaultHours: 72, maxHours: 24 * 30 } as const;

export interface Invite { id: number; createdBy: string | null; createdAt: Date; expiresAt: Date }

const newSecret = () => crypto.randomBytes(32).toString('base64url');

/**
 * The dashboard's address as the platform knows it: https://PAAS_DOMAIN (with the router's TLS port unless 443) when
 * the router serves it over HTTPS; else the web port on the base domain (behind a proxy, the proxy's address).
 */
export function dashboardUrl(config: Config): string {
  const tlsPort = config.endpoints.routerTlsPort;
  if (config.platformDomain && tlsPort !== undefined) return `https://${config.platformDomain}${tlsPort === 443 ? '' : `:${tlsPort}`}`;
  return `http://${config.baseDomain}:${config.endpoints.httpPort}`;
}

/** The start-up banner's line for a fresh install: the set-up link, shown once. */
export function setupBanner(config: Config, token: string): string {
  return `  First admin:      open ${dashboardUrl(config)}/setup?token=${token} (one-time link; each start prints a new one)`;
}

/**
 * On a fresh install (no users yet): a new set-up token, replacing any earlier one, so only the link printed at
 * this start works. Once a user exists, removes any leftover token and returns undefined.
 */
export async function issueSetupToken(db: Knex): Promise<string | undefined> {
  return db.transaction(async (trx) => {
    await trx('invites').where({ kind: 'setup' }).delete();
    if (await trx('users').first('id')) return undefined;
    const token = newSecret();
    await trx('invites').insert({ kind: 'setup', token_hash: hashToken(token) });
    return token;
  });
}

/** The refusal of a set-up token that is not the current one. */
export const badSetupToken = () => new PaasError('E_SETUP_TOKEN_INVALID', 'This set-up link is not valid. Use the newest link the platform printed at start (each start prints a new one)');
/** The refusal of an invite that was used, expired, was revoked or never existed (one answer for all four). */
export const badInvite = () => new PaasError('E_INVITE_INVALID', 'This invite link is not valid: it was used already, it expired, or it was revoked. Ask an admin for a new one');

/** Whether the platform still waits for its first admin (no users at all). */
export async function needsSetup(db: Knex): Promise<boolean> {
  return !(await db('users').first('id'));
}

/** Whether the token is the current set-up token (for the page; consuming it is consumeSetupToken's job). */
export async function isSetupToken(db: Knex, token: unknown): Promise<boolean> {
  if (typeof token !== 'string' || !token || token.length > 100) return false;
  return Boolean(await db('invites').where({ kind: 'setup', token_hash: hashToken(token) }).first('id'));
}

/** Uses up the set-up token inside the sign-up transaction; throws E_SETUP_TOKEN_INVALID when it is not the one. */
export async function consumeSetupToken(trx: Knex.Transaction, token: string): Promise<void> {
  const n = token && token.length <= 100 ? await trx('invites').where({ kind: 'setup', token_hash: hashToken(token) }).delete() : 0;
  if (!n) throw badSetupToken();
}

/** Creates an invite (admins and the local operator); the plain token is returned once, for the link. */
export async function createInvite(db: Knex, actor: Actor, hours: number = INVITE_TTL.defaultHours): Promise<{ token: string; expiresAt: Date }> {
  requireAdmin(actor, 'invite users');
  if (!Number.isInteger(hours) || hours < 1 || hours > INVITE_TTL.maxHours) {
    throw new PaasError('E_USAGE', `An invite lasts 1 to ${INVITE_TTL.maxHours} hours`);
  }
  const token = newSecret();
  const expiresAt = new Date(Date.now() + hours * 3600_000);
  await db('invites').insert({ kind: 'invite', token_hash: hashToken(token), expires_at: expiresAt, created_by: actor.kind === 'user' ? actor.user.id : null });
  return { token, expiresAt };
}

/** Whether the token is an unused, unexpired invite (for the sign-up page). */
export async function isOpenInvite(db: Knex, token: unknown): Promise<boolean> {
  if (typeof token !== 'string' || !token || token.length > 100) return false;
  return Boolean(await db('invites').where({ kind: 'invite', token_hash: hashToken(token) }).whereNull('used_at')
    .where('expires_at', '>', new Date()).first('id'));
}

/**
 * Uses up an invite inside the sign-up transaction (one UPDATE, so two sign-ups racing on one link cannot both
 * win; if the sign-up then fails, the transaction rolls back and the invite stays usable).
 */
export async function consumeInvite(trx: Knex.Transaction, token: string): Promise<number> {
  const rows = token && token.length <= 100 ? await trx('invites').where({ kind: 'invite', token_hash: hashToken(token) }).whereNull('used_at')
    .where('expires_at', '>', new Date()).update({ used_at: trx.fn.now() }).returning('id') : [];
  if (!rows.length) throw badInvite();
  return (rows[0] as { id: number }).id;
}

/** Records who used an invite, once the account exists. */
export async function markInviteUsed(trx: Knex.Transaction, inviteId: number, userId: number): Promise<void> {
  await trx('invites').where({ id: inviteId }).update({ used_by: userId });
}

/** Invites not yet used nor expired, newest first (admins). */
export async function listOpenInvites(db: Knex, actor: Actor): Promise<Invite[]> {
  requireAdmin(actor, 'list invites');
  const rows = await db('invites').leftJoin('users', 'users.id', 'invites.created_by').where({ kind: 'invite' }).whereNull('used_at')
    .where('expires_at', '>', new Date()).orderBy('invites.id', 'desc').select('invites.*', 'users.email');
  return rows.map((r) => ({ id: r.id, createdBy: r.email ?? null, createdAt: r.created_at, expiresAt: r.expires_at }));
}

/** Revokes an open invite by id (admins); its link stops working at once. */
export async function revokeInvite(db: Knex, actor: Actor, id: number): Promise<void> {
  requireAdmin(actor, 'revoke invites');
  const n = await db('invites').where({ id, kind: 'invite' }).whereNull('used_at').delete();
  if (!n) throw new PaasError('E_INVITE_INVALID', `No open invite with id ${id}; list them with: invites`);
}
