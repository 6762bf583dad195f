// core/accounts/sign-in-flows.ts — sign-ins under way with a provider: the state, nonce and PKCE verifier of each,
// bound to the browser that started it by a random id in a cookie (only its hash is stored), used once, 10 minutes.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { PaasError } from '../errors.ts';
import { hashToken } from './passwords.ts';

/** How long a browser has to come back from the provider. */
export const FLOW_TTL_MS = 10 * 60 * 1000;
/** Live (unfinished, unexpired) sign-in flows one client address may hold. */
export const FLOWS_PER_ADDRESS = 30;

export interface SignInFlow { provider: string; state: string; nonce: string; verifier: string; invite?: string; next: string }

const random = () => crypto.randomBytes(32).toString('base64url');

/** Starts a flow: fresh state, nonce and verifier; returns them with the cookie's id. Forgets expired flows. */
export async function startFlow(db: Knex, provider: string, next: string, address: string, invite?: string): Promise<SignInFlow & { id: string }> {
  await db('sign_in_flows').where('expires_at', '<', new Date()).delete();
  // Anyone may start a sign-in, and each start is a row for 10 minutes: one address holds at most this many.
  const live = await db('sign_in_flows').where({ address }).count({ count: '*' }).first();
  if (Number(live?.count ?? 0) >= FLOWS_PER_ADDRESS) {
    throw new PaasError('E_RATE_LIMITED', `Too many sign-ins started from your address in the last 10 minutes (at most ${FLOWS_PER_ADDRESS}); wait a few minutes and try again`);
  }
  const flow = { id: random(), provider, state: random(), nonce: random(), verifier: random(), next, ...(invite ? { invite } : {}) };
  await db('sign_in_flows').insert({
    id_hash: hashToken(flow.id), provider, state: flow.state, nonce: flow.nonce, verifier: flow.verifier,
    invite: invite ?? null, next, expires_at: new Date(Date.now() + FLOW_TTL_MS), address,
  });
  return flow;
}

/**
 * Takes the browser's flow for this provider (deleting it, so an answer is used once); E_SIGNIN_INVALID when there
 * is none: no cookie, another browser's, expired, already used, or started for another provider.
 */
export async function takeFlow(db: Knex, id: string | undefined, provider: string): Promise<SignInFlow> {
  const rows = id && id.length <= 100 ? await db('sign_in_flows').where({ id_hash: hashToken(id) }).delete().returning('*') : [];
  const row = rows[0];
  if (!row || row.provider !== provider || new Date(row.expires_at).getTime() <= Date.now()) {
    throw new PaasError('E_SIGNIN_INVALID', 'This sign-in was not started in this browser, was used already, or took over 10 minutes. Start again from the sign-in page');
  }
  return { provider: row.provider, state: row.state, nonce: row.nonce, verifier: row.verifier, next: row.next, ...(row.invite ? { invite: row.invite } : {}) };
}
