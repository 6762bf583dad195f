// web/dashboard/csrf.ts — CSRF protection for every state-changing request: a synchronizer token per
// session (a double-submit cookie before sign-in), sent as the _csrf form field or htmx's X-CSRF-Token header.
import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PaasError } from '../../core/errors.ts';
import { cookieName } from './edge.ts';
import { cookieOptions } from './sessions.ts';

export const ANON_CSRF_COOKIE = 'paas_csrf';

/** The token forms on this page must carry: the session's secret, or (signed out) the anonymous cookie's value. */
export function csrfToken(req: FastifyRequest, reply: FastifyReply): string {
  if (req.auth.csrf) return req.auth.csrf;
  let token = req.cookies[cookieName(req, ANON_CSRF_COOKIE)];
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
    token = crypto.randomBytes(32).toString('base64url');
    reply.setCookie(cookieName(req, ANON_CSRF_COOKIE), token, cookieOptions(req));
  }
  req.auth.csrf = token;
  return token;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Throws E_CSRF unless the request carries the token that belongs to this browser. */
export function verifyCsrf(req: FastifyRequest): void {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const sent = typeof body._csrf === 'string' ? body._csrf : String(req.headers['x-csrf-token'] ?? '');
  const expected = req.auth.user ? req.auth.csrf : req.cookies[cookieName(req, ANON_CSRF_COOKIE)];
  if (!expected || !sent || !sameToken(sent, expected)) {
    throw new PaasError('E_CSRF', 'This form has expired or did not come from this dashboard; reload the page and try again');
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false on routes with nothing to protect once signed out (sign-out itself): no token is asked then. */
    csrfWhenSignedOut?: boolean;
  }
}

/** The preHandler that guards every POST of the dashboard. */
export async function csrfGuard(req: FastifyRequest): Promise<void> {
  if (req.method !== 'POST') return;
  if (!req.auth.user && req.routeOptions.config?.csrfWhenSignedOut === false) return;
  verifyCsrf(req);
}
