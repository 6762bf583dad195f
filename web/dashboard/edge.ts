// web/dashboard/edge.ts — what the dashboard knows of the edge in front of it: whose X-Forwarded-Proto it believes
// (isTls), and its cookies' names and Secure flag (`__Host-` names, always Secure, with PAAS_DOMAIN). index.ts
// puts the one Edge of the server on every request; sessions.ts, csrf.ts and respond.ts read it there.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../core/config.ts';

/** How this server's requests reach it (docs/security.md, "The edge", says why). */
export interface Edge {
  /** `__Host-` with PAAS_DOMAIN: a browser then keeps the cookie to this exact host, over HTTPS, path / (no tossing from a sibling host). */
  cookiePrefix: '' | '__Host-';
  /** Every cookie is Secure (PAAS_DOMAIN: the dashboard is served over HTTPS), else only those set behind TLS. */
  secureCookies: boolean;
  /** X-Forwarded-Proto is believed from a loopback peer: the platform's own router (local mode with PAAS_DOMAIN). */
  loopbackProto: boolean;
  /** X-Forwarded-Proto is believed from anyone: without PAAS_DOMAIN the platform does not know its edge (as before). */
  anyProto: boolean;
}

declare module 'fastify' {
  interface FastifyRequest { edge: Edge }
}

/** The edge of a server with this config. */
export function edgeOf(config: Pick<Config, 'platformDomain' | 'mode'>): Edge {
  const domain = config.platformDomain !== undefined;
  return { cookiePrefix: domain ? '__Host-' : '', secureCookies: domain, loopbackProto: domain && config.mode === 'local', anyProto: !domain };
}

/** The server's Edge when no hook set it (a request outside the dashboard's scope): the plain one. */
const PLAIN: Edge = { cookiePrefix: '', secureCookies: false, loopbackProto: false, anyProto: true };

/** The request's edge. */
export function edgeOfRequest(req: FastifyRequest): Edge {
  return req.edge ?? PLAIN;
}

/** A cookie's name on this server: `paas_session`, or `__Host-paas_session` with PAAS_DOMAIN. */
export function cookieName(req: FastifyRequest, base: string): string {
  return `${edgeOfRequest(req).cookiePrefix}${base}`;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * True when the request reached us over TLS: on a TLS socket, through a PAAS_TRUST_PROXY proxy that says so (fastify's
 * req.protocol), or with X-Forwarded-Proto https from a peer the Edge believes. Security boundary: with PAAS_DOMAIN a
 * client of the web port cannot claim https by header; only a loopback peer (the router) can.
 */
export function isTls(req: FastifyRequest): boolean {
  if (req.protocol === 'https') return true;
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase();
  if (forwarded !== 'https') return false;
  const edge = edgeOfRequest(req);
  return edge.anyProto || (edge.loopbackProto && LOOPBACK.has(req.socket?.remoteAddress ?? ''));
}
