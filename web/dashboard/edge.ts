// web/dashboard/edge.ts — what the dashboard knows of the edge in front of it: whose X-Forwarded-Proto it believes
// (isTls), and its cookies' names and Secure flag (`__Host-` names, always Secure, with PAAS_DOMAIN). index.ts
// puts the one Edge of the server on every request; sessions.ts, csrf.ts and respond.ts read it there.
import type { FastifyRequest } from 'fastify';
import type { Config } from '../../core/config.ts';
import { isRouterSecret, ROUTER_SECRET_HEADER } from '../../core/router-secret.ts';

/** How this server's requests reach it (docs/security.md, "The edge", says why). */
export interface Edge {
  /** `__Host-` with PAAS_DOMAIN: a browser then keeps the cookie to this exact host, over HTTPS, path / (no tossing from a sibling host). */
  cookiePrefix: '' | '__Host-';
  /** Every cookie is Secure (PAAS_DOMAIN: the dashboard is served over HTTPS), else only those set behind TLS. */
  secureCookies: boolean;
  /**
   * The platform's own router (local mode with PAAS_DOMAIN) marks what it forwards with this secret
   * (core/router-secret.ts): such a request's X-Forwarded-Proto and -For are believed.
   */
  routerSecret?: string;
  /** X-Forwarded-Proto is believed from anyone: without PAAS_DOMAIN the platform does not know its edge (as before). */
  anyProto: boolean;
}

declare module 'fastify' {
  interface FastifyRequest { edge: Edge }
}

/** The edge of a server with this config; `routerSecret` is the data dir's (read by the caller) in local mode. */
export function edgeOf(config: Pick<Config, 'platformDomain' | 'edge'>, routerSecret?: string): Edge {
  const domain = config.platformDomain !== undefined;
  return {
    cookiePrefix: domain ? '__Host-' : '', secureCookies: domain, anyProto: !domain,
    ...(domain && config.edge === 'router' && routerSecret ? { routerSecret } : {}),
  };
}

/** The server's Edge when no hook set it (a request outside the dashboard's scope): the plain one. */
const PLAIN: Edge = { cookiePrefix: '', secureCookies: false, anyProto: true };

/** The request's edge. */
export function edgeOfRequest(req: FastifyRequest): Edge {
  return req.edge ?? PLAIN;
}

/** A cookie's name on this server: `paas_session`, or `__Host-paas_session` with PAAS_DOMAIN. */
export function cookieName(req: FastifyRequest, base: string): string {
  return `${edgeOfRequest(req).cookiePrefix}${base}`;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** True when the platform's own router forwarded the request: a loopback peer carrying the router's secret. */
export function fromRouter(req: FastifyRequest): boolean {
  const secret = edgeOfRequest(req).routerSecret;
  return secret !== undefined && LOOPBACK.has(req.socket?.remoteAddress ?? '') && isRouterSecret(secret, req.headers[ROUTER_SECRET_HEADER]);
}

/**
 * The client's address: through the platform's router, the address the router appended to X-Forwarded-For (the last
 * entry: what the router saw, not what the client wrote); else req.ip (PAAS_TRUST_PROXY's proxies, or the peer).
 */
export function clientAddress(req: FastifyRequest): string {
  if (fromRouter(req)) {
    const last = String(req.headers['x-forwarded-for'] ?? '').split(',').pop()?.trim();
    if (last) return last;
  }
  return req.ip || req.socket?.remoteAddress || 'unknown';
}

/**
 * True when the request reached us over TLS: on a TLS socket, through a PAAS_TRUST_PROXY proxy that says so (fastify's
 * req.protocol), or with X-Forwarded-Proto https from a peer the Edge believes. Security boundary: with PAAS_DOMAIN a
 * client of the web port cannot claim https by header; only the router (a loopback peer with its secret) can.
 */
export function isTls(req: FastifyRequest): boolean {
  if (req.protocol === 'https') return true;
  const forwarded = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase();
  if (forwarded !== 'https') return false;
  const edge = edgeOfRequest(req);
  return edge.anyProto || fromRouter(req);
}
