// runtime/router/pages.ts — the responses the router's engine writes itself: its text pages (404, 502, 503, 504 and
// the 400/408/431 refusals of core/http-limits.ts), the HTTP→HTTPS redirect and ACME challenge answers.
import { clientErrorStatus, REFUSAL_REASONS, type Refusal } from '../../core/http-limits.ts';

const REASONS: Record<number, string> = {
  ...REFUSAL_REASONS, 200: 'OK', 308: 'Permanent Redirect', 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** A complete text/plain response; `close` adds `connection: close` (the router closes after it). */
export function textPage(status: number, body: string, close: boolean): string {
  const bytes = Buffer.byteLength(body);
  return `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${bytes}\r\n`
    + `x-content-type-options: nosniff\r\n${close ? 'connection: close\r\n' : ''}\r\n${body}`;
}

/** The same page as a Buffer (so a page's UTF-8 text survives a latin1 head). */
export function pageBuffer(status: number, body: string, close: boolean): Buffer {
  return Buffer.from(textPage(status, body, close), 'utf8');
}

/** A refusal of core/http-limits.ts (400, 408, 431) as the router's text page, always closing. */
export function refusalPage(e: Refusal): Buffer {
  return pageBuffer(e.status, `${e.message}.`, true);
}

/** The refusals of a request head: not valid HTTP, too large (size or count), or too slow to arrive. */
export const HEAD_REFUSALS = {
  400: clientErrorStatus({ code: 'HPE_INVALID' } as NodeJS.ErrnoException),
  431: clientErrorStatus({ code: 'HPE_HEADER_OVERFLOW' } as NodeJS.ErrnoException),
  408: clientErrorStatus({ code: 'ERR_HTTP_REQUEST_TIMEOUT' } as NodeJS.ErrnoException),
} as const;

/** A 308 to the same target over HTTPS (the port shown only when it is not 443). */
export function redirectPage(host: string, tlsPort: number, target: string): Buffer {
  const location = `https://${host}${tlsPort === 443 ? '' : `:${tlsPort}`}${target}`;
  return Buffer.from(`HTTP/1.1 308 Permanent Redirect\r\nlocation: ${location}\r\ncontent-length: 0\r\n\r\n`, 'latin1');
}

/** The 502 when the app's process could not be reached or hung up before answering. */
export function badGatewayPage(why: string): Buffer {
  return pageBuffer(502, `Bad gateway: the app's web process did not answer (${why}).`, true);
}

/** The 504 when the app sent no response head within the upstream timeout. */
export function gatewayTimeoutPage(ms: number): Buffer {
  return pageBuffer(504, `Gateway timeout: the app's web process sent no answer within ${Math.round(ms / 1000)} s.`, true);
}
