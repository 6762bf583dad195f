// web/dashboard/respond.ts — how dashboard routes answer: full pages in the layout, htmx fragments,
// redirects after a POST (with a one-time flash message), and form fields read safely.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Bus } from '../../core/bus.ts';
import type { Config } from '../../core/config.ts';
import { isPaasError, type PaasError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { RuntimeReader } from '../../runtime/reader.ts';
import { csrfToken } from './csrf.ts';
import type { Views } from './render.ts';
import { cookieName } from './edge.ts';
import { cookieOptions, SignInRequired } from './sessions.ts';

/** What every dashboard route module gets. */
export interface DashDeps { db: Knex; config: Config; log: Logger; bus: Bus; reader: RuntimeReader; views: Views; liveRecheckMs: number; metricsPollSeconds?: number }

const FLASH_COOKIE = 'paas_flash';

/** True for requests htmx sent. */
export function isHtmx(req: FastifyRequest): boolean { return req.headers['hx-request'] === 'true'; }
/** True for htmx's boosted links and forms, which expect a whole page (other htmx requests want a fragment). */
export function isBoosted(req: FastifyRequest): boolean { return req.headers['hx-boosted'] === 'true'; }

function takeFlash(req: FastifyRequest, reply: FastifyReply): string | undefined {
  const flash = req.cookies[cookieName(req, FLASH_COOKIE)];
  if (flash) reply.clearCookie(cookieName(req, FLASH_COOKIE), cookieOptions(req));
  return flash || undefined;
}

/** Sends pages/<name> in the layout, with the user, the CSRF token and any flash message. */
export function sendPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, name: string, ctx: Record<string, unknown>, status = 200): FastifyReply {
  const base = { user: req.auth.user, csrf: csrfToken(req, reply), flash: takeFlash(req, reply) };
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(d.views.page(name, { ...base, ...ctx }));
}

/** Sends partials/<name> alone (an htmx fragment). */
export function sendFragment(d: DashDeps, reply: FastifyReply, name: string, ctx: Record<string, unknown>, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(d.views.partial(name, ctx));
}

/** Post/Redirect/Get: a 303 to a page, with a message shown once there. */
export function redirect(req: FastifyRequest, reply: FastifyReply, url: string, flash?: string): FastifyReply {
  if (flash) reply.setCookie(cookieName(req, FLASH_COOKIE), flash.slice(0, 300), cookieOptions(req));
  return reply.redirect(url, 303);
}

/** A form field as a string ('' when missing); repeated fields give their first value. */
export function field(req: FastifyRequest, name: string): string {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  if (typeof v === 'string') return v;
  return Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
}

/** Runs a form's action; a PaasError comes back to re-render the form with it, anything else propagates. */
export async function attempt<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: PaasError }> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    if (!isPaasError(err) || err instanceof SignInRequired) throw err;
    return { ok: false, error: err };
  }
}

/** The error as the error partial shows it. */
export function errorView(err: PaasError): { code: string; message: string } {
  return { code: err.code, message: err.message };
}

/** A local path to return to after signing in; anything else (other sites, //host) becomes /apps. */
export function safeNext(raw: unknown): string {
  const next = typeof raw === 'string' ? raw : '';
  return /^\/(?![/\\])[^\s\\]*$/.test(next) && next.length < 500 ? next : '/apps';
}
