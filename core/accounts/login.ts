// core/accounts/login.ts — the sign-in boundary: password check with a rate limit per email and per client
// address, one generic answer for unknown emails and wrong passwords, and about the same time for both.
import type { Knex } from 'knex';
import { PaasError } from '../errors.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { User } from './users.ts';

/** Failed sign-ins allowed per window: per email (guessing one account) and per address (spraying many). */
export const LOGIN_LIMITS = { perEmail: 5, perAddress: 20, windowMs: 15 * 60 * 1000 } as const;

const WRONG = 'Email or password is wrong';

let dummyHash: Promise<string> | undefined;
/** A real hash to check against when the email is unknown, so both answers cost the same scrypt. */
function dummy(): Promise<string> {
  dummyHash ??= hashPassword('not-a-real-password-' + Math.random());
  return dummyHash;
}

const emailKey = (email: string) => `email:${email.trim().toLowerCase().slice(0, 254)}`;
const addressKey = (address: string) => `ip:${address}`;

/** Throws E_RATE_LIMITED while the email or the address has too many recent failures. */
async function checkLimit(db: Knex, email: string, address: string): Promise<void> {
  const since = new Date(Date.now() - LOGIN_LIMITS.windowMs);
  const rows: Array<{ key: string; n: string | number }> = await db('login_failures').whereIn('key', [emailKey(email), addressKey(address)])
    .where('created_at', '>', since).groupBy('key').select('key').count({ n: '*' });
  const count = (key: string) => Number(rows.find((r) => r.key === key)?.n ?? 0);
  if (count(emailKey(email)) >= LOGIN_LIMITS.perEmail || count(addressKey(address)) >= LOGIN_LIMITS.perAddress) {
    throw new PaasError('E_RATE_LIMITED', `Too many failed sign-ins. Wait ${LOGIN_LIMITS.windowMs / 60_000} minutes, then try again`);
  }
}

/** Records a failure, and forgets failures older than the window. */
async function recordFailure(db: Knex, email: string, address: string): Promise<void> {
  await db('login_failures').insert([{ key: emailKey(email) }, { key: addressKey(address) }]);
  await db('login_failures').where('created_at', '<', new Date(Date.now() - LOGIN_LIMITS.windowMs)).delete();
}

/**
 * Checks an email and password for the client at `address`. Unknown email and wrong password give the same
 * E_UNAUTHENTICATED after the same work; a disabled account is told so only when its password was right.
 */
export async function authenticate(db: Knex, email: string, password: string, address: string): Promise<User> {
  const fallback = dummy();
  await checkLimit(db, email, address);
  const row = await db('users').where({ email: email.trim().toLowerCase() }).first();
  const ok = await verifyPassword(password.slice(0, 1024), row?.password_hash ?? await fallback);
  if (!row || !ok) {
    await recordFailure(db, email, address);
    throw new PaasError('E_UNAUTHENTICATED', WRONG);
  }
  if (row.disabled) throw new PaasError('E_FORBIDDEN', 'This account is disabled; ask an admin of this platform');
  await db('login_failures').where({ key: emailKey(email) }).delete();
  return { id: row.id, email: row.email, isAdmin: row.is_admin, disabled: row.disabled };
}
