// core/accounts/login.ts — the sign-in boundary: password check behind an atomic rate limit per (client address,
// email) pair and per client address, one generic answer for unknown emails and wrong passwords, same time for both.
import type { Knex } from 'knex';
import { PaasError } from '../errors.ts';
import { hashPassword, verifyPassword } from './passwords.ts';
import type { User } from './users.ts';

/**
 * Sign-in attempts allowed per window: per client address and email (guessing one account from one place), and per
 * client address across emails (spraying many). There is no limit per email alone: an attacker elsewhere must not be
 * able to lock the owner out of their own account.
 */
export const LOGIN_LIMITS = { perPair: 5, perAddress: 20, windowMs: 15 * 60 * 1000 } as const;

const WRONG = 'Email or password is wrong';

let dummyHash: Promise<string> | undefined;
/** A real hash to check against when the email is unknown, so both answers cost the same scrypt. */
function dummy(): Promise<string> {
  dummyHash ??= hashPassword('not-a-real-password-' + Math.random());
  return dummyHash;
}

const normal = (email: string) => email.trim().toLowerCase().slice(0, 254);
const pairKey = (address: string, email: string) => `pair:${address}|${normal(email)}`;
const addressKey = (address: string) => `ip:${address}`;

/**
 * Takes one attempt from both counters in one statement, so parallel attempts are counted one by one (row locks
 * serialise the upsert); a counter whose window has passed starts again at 1. Throws E_RATE_LIMITED when over.
 */
async function takeAttempt(db: Knex, email: string, address: string): Promise<void> {
  const windowSec = LOGIN_LIMITS.windowMs / 1000;
  const { rows } = await db.raw(`
    INSERT INTO login_attempts (key, count, window_start) VALUES (?, 1, now()), (?, 1, now())
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN login_attempts.window_start < now() - make_interval(secs => ?) THEN 1 ELSE login_attempts.count + 1 END,
      window_start = CASE WHEN login_attempts.window_start < now() - make_interval(secs => ?) THEN now() ELSE login_attempts.window_start END
    RETURNING key, count`, [pairKey(address, email), addressKey(address), windowSec, windowSec]) as { rows: Array<{ key: string; count: number }> };
  const count = (key: string) => rows.find((r) => r.key === key)?.count ?? 0;
  if (count(pairKey(address, email)) > LOGIN_LIMITS.perPair || count(addressKey(address)) > LOGIN_LIMITS.perAddress) {
    throw new PaasError('E_RATE_LIMITED', `Too many sign-in attempts from your address. Wait ${LOGIN_LIMITS.windowMs / 60_000} minutes, then try again`);
  }
}

/** A right password gives its attempt back: the pair starts afresh, the address loses only this one count. */
async function forgiveAttempt(db: Knex, email: string, address: string): Promise<void> {
  await db('login_attempts').where({ key: pairKey(address, email) }).delete();
  await db('login_attempts').where({ key: addressKey(address) }).where('count', '>', 0).decrement('count', 1);
}

/** Forgets counters whose window has passed (on failures only: a flood of them pays for its own clean-up). */
async function forgetOld(db: Knex): Promise<void> {
  await db('login_attempts').where('window_start', '<', new Date(Date.now() - LOGIN_LIMITS.windowMs)).delete();
}

/**
 * Checks an email and password for the client at `address`. Unknown email and wrong password give the same
 * E_UNAUTHENTICATED after the same work; a disabled account is told so only when its password was right.
 */
export async function authenticate(db: Knex, email: string, password: string, address: string): Promise<User> {
  const fallback = dummy();
  await takeAttempt(db, email, address);
  const row = await db('users').where({ email: email.trim().toLowerCase() }).first();
  const ok = await verifyPassword(password.slice(0, 1024), row?.password_hash ?? await fallback);
  if (!row || !ok) {
    await forgetOld(db);
    throw new PaasError('E_UNAUTHENTICATED', WRONG);
  }
  await forgiveAttempt(db, email, address);
  if (row.disabled) throw new PaasError('E_FORBIDDEN', 'This account is disabled; ask an admin of this platform');
  return { id: row.id, email: row.email, isAdmin: row.is_admin, disabled: row.disabled };
}
