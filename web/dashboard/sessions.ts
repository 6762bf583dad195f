// web/dashboard/sessions.ts — the dashboard's authentication boundary: the session cookie (HttpOnly,
// SameSite=Lax, Secure behind TLS), who the request is from, and the check every page and websocket runs.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie'; // req.cookies, reply.setCookie
import type {} from '@fastify/websocket'; // req.ws
import type { Knex } from 'knex';
import type { Actor } from '../../core/access.ts';
import { createSession, deleteSession, lookupSession, SESSION_TTL_MS } from '../../core/accounts/sessions.ts';
import type { User } from '../../core/accounts/users.ts';
import { PaasError } from '../../core/errors.ts';
import { cookieName, edgeOfRequest, isTls } from './edge.ts';

/** The session cookie's base name (`__Host-paas_session` with PAAS_DOMAIN: edge.ts). */
export const SESSION_COOKIE = 'paas_session';

/** Who sent the request: a signed-in user with the session's CSRF secret, or nobody (maybe with an expired session). */
export interface Auth { user?: User; csrf?: string; token?: string; expired: boolean }

declare module 'fastify' {
  interface FastifyRequest { auth: Auth }
}

/** Thrown when a page needs a signed-in user; the error handler turns it into a redirect to /signin. */
export class SignInRequired extends PaasError {
  constructor(expired: boolean) {
    super(expired ? 'E_SESSION_EXPIRED' : 'E_UNAUTHENTICATED', expired ? 'Your session has ended; sign in again' : 'Sign in to continue');
  }
}

export { isTls };

/** The attributes every dashboard cookie gets (host-only: never a Domain; Secure always with PAAS_DOMAIN's `__Host-` names). */
export function cookieOptions(req: FastifyRequest, maxAgeMs?: number) {
  const secure = edgeOfRequest(req).secureCookies || isTls(req);
  return { httpOnly: true, sameSite: 'lax' as const, path: '/', secure, ...(maxAgeMs ? { maxAge: Math.floor(maxAgeMs / 1000) } : {}) };
}

/** Reads the session cookie into req.auth (runs before every dashboard route). */
export async function loadAuth(db: Knex, req: FastifyRequest): Promise<void> {
  const token = req.cookies[cookieName(req, SESSION_COOKIE)];
  const found = await lookupSession(db, token);
  req.auth = found.state === 'valid' ? { user: found.user, csrf: found.csrf, token, expired: false } : { expired: found.state === 'expired' };
}

/** The signed-in user, or SignInRequired. */
export function requireUser(req: FastifyRequest): User {
  if (!req.auth?.user) throw new SignInRequired(req.auth?.expired ?? false);
  return req.auth.user;
}

/** The signed-in user as an actor for the service layer (core/access.ts decides what it may see). */
export function actorOf(req: FastifyRequest): Actor & { kind: 'user' } {
  return { kind: 'user', user: requireUser(req) };
}

/** Signs the browser in as user: a fresh session id (never the old one, against fixation) in the cookie. */
export async function startSession(db: Knex, req: FastifyRequest, reply: FastifyReply, user: User): Promise<void> {
  if (req.auth?.token) await deleteSession(db, req.auth.token);
  const session = await createSession(db, user.id);
  reply.setCookie(cookieName(req, SESSION_COOKIE), session.token, cookieOptions(req, SESSION_TTL_MS));
  req.auth = { user, csrf: session.csrf, token: session.token, expired: false };
}

/** Signs the browser out: the session row is deleted, so the cookie is worthless even if it was copied. */
export async function endSession(db: Knex, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const token = req.cookies[cookieName(req, SESSION_COOKIE)];
  if (token) await deleteSession(db, token);
  reply.clearCookie(cookieName(req, SESSION_COOKIE), cookieOptions(req));
  req.auth = { expired: false };
}
