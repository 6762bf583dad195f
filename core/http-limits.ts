// core/http-limits.ts — the limits every HTTP listener of the platform applies (the web port's fastify server and the
// local router): the headers deadline, a minimum rate and an idle timeout for request bodies, idle sockets, header size
// and count, and connections per client. Without them one client sending a byte every few seconds, or opening thousands
// of sockets, holds the platform; with no total deadline, an honest large upload (a git push over HTTP) is never cut.
import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';

/** The HTTP limits (config.httpLimits, from PAAS_HTTP_*). */
export interface HttpLimits {
  /** The request's headers must arrive within this (408 otherwise). */
  headersTimeoutMs: number;
  /** A request body is not judged on its rate for this long after its headers: slow starts, a client warming up. */
  bodyGraceMs: number;
  /** After the grace, a body must have averaged at least this many bytes a second (408 otherwise). */
  minBodyRate: number;
  /** A body that brings no byte for this long is cut off (408), in the grace or after it. */
  bodyIdleTimeoutMs: number;
  /** A socket with no byte either way for this long is closed (a silent keep-alive client). */
  idleTimeoutMs: number;
  /** The most header bytes a request may send (431 otherwise). */
  maxHeaderBytes: number;
  /** Headers past this count are dropped. */
  maxHeadersCount: number;
  /** Open connections one client address may hold; further ones are closed at once. */
  maxConnectionsPerClient: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  headersTimeoutMs: 20_000, bodyGraceMs: 10_000, minBodyRate: 1024, bodyIdleTimeoutMs: 15_000, idleTimeoutMs: 60_000,
  maxHeaderBytes: 16 * 1024, maxHeadersCount: 100, maxConnectionsPerClient: 256,
});

/**
 * Options for http.createServer: node enforces the headers deadline, checking it every 1/4 of it (at most 1 s).
 * There is no total request deadline (requestTimeout 0): it would cut honest large uploads (a git push over HTTP);
 * the body guard (guardRequestBodies) cuts the slow and the stalled ones instead.
 */
export function serverOptions(limits: HttpLimits): http.ServerOptions {
  return {
    requestTimeout: 0, headersTimeout: limits.headersTimeoutMs, maxHeaderSize: limits.maxHeaderBytes,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

/** The body of a refusal in the server's own shape: JSON on the web port, text on the router. */
export type RefusalBody = (e: Refusal) => { type: string; text: string };

/**
 * Applies what http.createServer's options do not carry: no total request deadline (whatever a framework set), the
 * body guard, the idle timeout, the header count and the per-client cap.
 */
export function applyHttpLimits(server: http.Server, limits: HttpLimits, body: RefusalBody): void {
  server.requestTimeout = 0;
  server.setTimeout(limits.idleTimeoutMs);
  server.maxHeadersCount = limits.maxHeadersCount;
  limitConnectionsPerClient(server, limits.maxConnectionsPerClient);
  guardRequestBodies(server, limits, body);
}

/** Closes each connection past `max` open ones from the same remote address (counted until it closes). */
export function limitConnectionsPerClient(server: net.Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: net.Socket) => {
    const addr = socket.remoteAddress ?? '';
    const n = (open.get(addr) ?? 0) + 1;
    if (n > max) {
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left > 0) open.set(addr, left);
      else open.delete(addr);
    });
  });
}

/** A refused request: its status, stable code and message. */
export interface Refusal { status: 400 | 408 | 431; code: 'E_BAD_REQUEST' | 'E_REQUEST_TIMEOUT' | 'E_HEADERS_TOO_LARGE'; message: string }

/** The status and stable code for a request node's parser refused (the 'clientError' event). */
export function clientErrorStatus(err: NodeJS.ErrnoException): Refusal {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'E_REQUEST_TIMEOUT', message: 'The request took too long to arrive' };
  if (err.code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'E_HEADERS_TOO_LARGE', message: 'The request headers are too large' };
  return { status: 400, code: 'E_BAD_REQUEST', message: 'The request is not valid HTTP' };
}

/** The reason phrase of each refusal status. */
export const REFUSAL_REASONS = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' } as const;

/** Answers a refused request on its raw socket (when it can still be written) and closes it. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, body: RefusalBody): void {
  if (err.code === 'ECONNRESET') socket.destroy();
  else answerRefusal(socket, clientErrorStatus(err), body);
}

/** Writes the refusal on the raw socket, when it can still be written, and closes it. */
export function answerRefusal(socket: Duplex, e: Refusal, body: RefusalBody): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { type, text } = body(e);
  // Written, then the socket is destroyed: a client that never reads or closes cannot keep it open.
  socket.write(`HTTP/1.1 ${e.status} ${REFUSAL_REASONS[e.status]}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  socket.destroy();
}

/**
 * How far one request body has come. The times count only while the server was reading it: while the platform holds
 * the body back (an app or git reading slowly, a handler not reading yet), the client cannot send and is not blamed.
 */
export interface BodyProgress { bytes: number; activeMs: number; silentMs: number }

/** Why a body is cut off ('stalled': silent past the idle timeout; 'slow': below the minimum rate after the grace). */
export function judgeBody(p: BodyProgress, limits: HttpLimits): 'stalled' | 'slow' | undefined {
  if (p.silentMs >= limits.bodyIdleTimeoutMs) return 'stalled';
  if (p.activeMs >= limits.bodyGraceMs && p.bytes * 1000 < limits.minBodyRate * p.activeMs) return 'slow';
  return undefined;
}

/** The message of a 408 for a body judged stalled or slow (judgeBody). */
export const BODY_CUT_MESSAGES = {
  stalled: 'The request body stopped arriving',
  slow: 'The request body arrived too slowly',
} as const;

/**
 * Security boundary against slowloris bodies: each request whose body is still arriving is checked every 1/4 of the
 * shorter of grace and idle timeout (at most 1 s); one judged stalled or slow gets 408 E_REQUEST_TIMEOUT (unless its
 * answer has begun) and its socket is closed. An honest upload of any size, above the minimum rate, goes on.
 */
export function guardRequestBodies(server: http.Server, limits: HttpLimits, body: RefusalBody): void {
  const tickMs = Math.max(10, Math.min(1000, Math.floor(Math.min(limits.bodyGraceMs, limits.bodyIdleTimeoutMs) / 4)));
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.complete || !hasBody(req)) return;
    const socket = req.socket;
    const p: BodyProgress = { bytes: 0, activeMs: 0, silentMs: 0 };
    let read = socket.bytesRead;
    let at = Date.now();
    const stop = (): void => {
      clearInterval(timer);
      socket.off('close', stop);
    };
    const timer = setInterval(() => {
      if (req.complete || socket.destroyed) return stop();
      const now = Date.now();
      const got = socket.bytesRead - read;
      p.bytes += got;
      if (!heldBack(req)) {
        p.activeMs += now - at;
        p.silentMs = got > 0 ? 0 : p.silentMs + (now - at);
      }
      read = socket.bytesRead;
      at = now;
      const why = judgeBody(p, limits);
      if (why === undefined) return;
      stop();
      if (res.headersSent) socket.destroy();
      else answerRefusal(socket, { status: 408, code: 'E_REQUEST_TIMEOUT', message: BODY_CUT_MESSAGES[why] }, body);
    }, tickMs);
    socket.once('close', stop);
  });
}

/** Whether a body is to come: HTTP/1.1 has one only with Transfer-Encoding or a Content-Length over 0 (a GET has none). */
function hasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** True while the server is not reading the body: its buffer is full, so node has stopped reading the socket. */
function heldBack(req: http.IncomingMessage): boolean {
  return req.readableLength >= req.readableHighWaterMark;
}
