// core/settings.ts — platform-wide settings an admin changes at run time (stored in the `settings` table).
import type { Knex } from 'knex';
import { PaasError } from './errors.ts';
import type { Actor } from './access.ts';
import type { Isolation } from './isolation.ts';

/** signupsOpen: visitors may sign up without an invite; passwordSignIn: email and password sign in (else providers only). */
export interface Settings { signupsOpen: boolean; passwordSignIn: boolean }

/** Sign-ups are closed until an admin opens them: new users come by invite (or users:create). */
const DEFAULTS: Settings = { signupsOpen: false, passwordSignIn: true };

/** The current settings, defaults filled in. */
export async function getSettings(db: Knex): Promise<Settings> {
  const rows = await db('settings').select('key', 'value');
  const stored = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  const flag = (key: keyof Settings) => (typeof stored[key] === 'boolean' ? stored[key] as boolean : DEFAULTS[key]);
  return { signupsOpen: flag('signupsOpen'), passwordSignIn: flag('passwordSignIn') };
}

/** Whether visitors may sign up without an invite: an admin opened sign-ups, and tenants are sandboxed. */
export function signupsAllowed(settings: Settings, isolation: Isolation): boolean {
  return settings.signupsOpen && isolation !== 'none';
}

/** Opens or closes sign-ups; only admins (or the local operator) may. */
export async function setSignupsOpen(db: Knex, actor: Actor, open: boolean): Promise<void> {
  requireAdmin(actor, 'open or close sign-ups');
  await db('settings').insert({ key: 'signupsOpen', value: JSON.stringify(open) }).onConflict('key').merge();
}

/**
 * Turns password sign-in (and password sign-up) on or off; only admins or the local operator may. Off is refused
 * while no sign-in provider is configured, or nobody but the local operator could sign in any more.
 */
export async function setPasswordSignIn(db: Knex, actor: Actor, on: boolean, providerCount: number): Promise<void> {
  requireAdmin(actor, 'turn password sign-in on or off');
  if (!on && providerCount === 0) {
    throw new PaasError('E_NO_SIGNIN_PROVIDER', 'Password sign-in stays on: no sign-in provider is configured (PAAS_OIDC_PROVIDERS), so nobody could sign in to the dashboard');
  }
  await db('settings').insert({ key: 'passwordSignIn', value: JSON.stringify(on) }).onConflict('key').merge();
}

/** Throws E_FORBIDDEN unless the actor is an admin or the local operator. */
export function requireAdmin(actor: Actor, what: string): void {
  if (actor.kind === 'user' && !actor.user.isAdmin) throw new PaasError('E_FORBIDDEN', `Only admins can ${what}`);
}
