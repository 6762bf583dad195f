// web/dashboard/origin.ts — the dashboard's websockets accept only pages of the dashboard itself: browsers send the
// session cookie with a cross-site websocket (SameSite=Lax does not stop it), so the Origin header is the boundary.
import type { FastifyRequest } from 'fastify';
import { PaasError } from '../../core/errors.ts';

/**
 * True when origin is this very host, over http or https (a TLS proxy in front may not say which): the Host the
 * request came in on, with default ports ignored. A missing, "null" or malformed Origin is never the same.
 */
export function isSameOrigin(origin: string | undefined, host: string | undefined): boolean {
  if (!origin || !host) return false;
  let o: URL, h: URL;
  try {
    o = new URL(origin);
    h = new URL(`${o.protocol}//${host}`);
  } catch {
    return false;
  }
  if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
  return o.origin === origin.toLowerCase().replace(/\/$/, '') && h.username === '' && h.pathname === '/' && o.host === h.host;
}

/**
 * Throws E_CSRF (403, before the upgrade) unless the websocket was opened by a page of this dashboard. Behind a proxy
 * that rewrites Host, the X-Forwarded-Host it sets counts too: a page cannot set either header on a browser's
 * websocket, so neither lets another site in.
 */
export function requireSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  const forwarded = String(req.headers['x-forwarded-host'] ?? '').split(',')[0]!.trim();
  if (!isSameOrigin(origin, req.headers.host) && !(forwarded && isSameOrigin(origin, forwarded))) {
    const from = origin ? `from ${String(origin).slice(0, 100)}` : 'without an Origin header';
    throw new PaasError('E_CSRF', `This live view was opened ${from}; only this dashboard's own pages may open it`);
  }
}
