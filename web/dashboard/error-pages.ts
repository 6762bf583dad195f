// web/dashboard/error-pages.ts — turns errors into dashboard answers: the error partial (same stable codes as
// the API) in a page or an htmx fragment, a redirect to /signin when a session is needed, and the 404 page.
import crypto from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorCodes, frameworkErrorCode, isPaasError, PaasError } from '../../core/errors.ts';
import { isBoosted, isHtmx, sendFragment, sendPage, type DashDeps } from './respond.ts';
import { loadAuth, SignInRequired } from './sessions.ts';

const TITLES: Record<number, string> = {
  400: 'That did not work', 401: 'Sign in', 403: 'Not allowed', 404: 'Not found', 409: 'Conflict', 413: 'Too large',
  415: 'That did not work', 422: 'That did not work', 429: 'Slow down', 500: 'Something broke',
};

/** What the dashboard says when fastify refused the request itself (the body could not be read as a form). */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  E_INPUT_TOO_LARGE: 'The form is larger than the dashboard accepts (1 MiB)',
  E_UNSUPPORTED_MEDIA_TYPE: 'The dashboard accepts forms (application/x-www-form-urlencoded) only',
  E_BAD_REQUEST: 'The request was not valid: its body could not be read',
  E_NOT_FOUND: errorCodes.E_NOT_FOUND.doc,
};

/** Renders a PaasError: a fragment for htmx requests aimed at one element, else a whole page; the status is the code's. */
export function renderError(d: DashDeps, req: FastifyRequest, reply: FastifyReply, err: PaasError): FastifyReply {
  const error = { code: err.code, message: err.message };
  if (isHtmx(req)) reply.header('hx-push-url', 'false'); // a failed POST must not become a history entry
  if (isHtmx(req) && !isBoosted(req) && req.headers['hx-target']) return sendFragment(d, reply, 'error', error, err.status);
  return sendPage(d, req, reply, 'error', { title: TITLES[err.status] ?? 'Error', error }, err.status);
}

/** Where a signed-out browser goes: /signin, coming back here afterwards (GET pages only). */
function toSignIn(req: FastifyRequest, reply: FastifyReply, err: SignInRequired): FastifyReply {
  if (req.ws) return reply.code(401).type('text/plain').send(err.message);
  const back = req.method === 'GET' && !isHtmx(req) ? `?next=${encodeURIComponent(req.url)}` : '';
  const url = `/signin${back}${err.code === 'E_SESSION_EXPIRED' ? `${back ? '&' : '?'}expired=1` : ''}`;
  if (isHtmx(req)) return reply.code(401).header('hx-redirect', url).send('');
  return reply.redirect(url, 303);
}

/**
 * The dashboard's error handler: PaasErrors show their code; fastify's own 4xx (bad JSON, another content type, a body
 * over 1 MiB) become the same error page; anything unexpected is logged with a reference. A body that could not be
 * parsed fails before the session was read (preHandler), so it is read here for the page's header.
 */
export function dashboardErrorHandler(d: DashDeps) {
  return async (err: FastifyError, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    if (!req.auth) await loadAuth(d.db, req);
    if (err instanceof SignInRequired) return toSignIn(req, reply, err);
    if (isPaasError(err)) return renderError(d, req, reply, err);
    if (err.statusCode && err.statusCode < 500) {
      const code = frameworkErrorCode(err.statusCode);
      return renderError(d, req, reply, new PaasError(code, FRAMEWORK_MESSAGES[code]!));
    }
    const ref = crypto.randomUUID().slice(0, 8);
    req.log.error({ err, ref, reqId: req.id }, 'dashboard request failed');
    return renderError(d, req, reply, new PaasError('E_INTERNAL', `Internal error (reference ${ref})`));
  };
}

/** True when a request for an unknown route comes from a browser (it gets the HTML 404 page, not JSON). */
export function wantsHtml(req: FastifyRequest): boolean {
  return !req.url.startsWith('/api/') && String(req.headers.accept ?? '').includes('text/html');
}

/** The 404 page for unknown routes (the dashboard's hooks did not run for them, so the session is read here). */
export async function notFoundPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  await loadAuth(d.db, req);
  return renderError(d, req, reply, new PaasError('E_NOT_FOUND', `There is no page at ${req.url.split('?')[0]!.slice(0, 200)}`));
}
