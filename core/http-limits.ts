// core/http-limits.ts — the limits every HTTP listener of the platform applies (the web port's fastify server and the
// local router): request and header deadlines, idle sockets, header size and count, and connections per client.
// Without them one client sending a byte every few seconds, or opening thousands of sockets, holds the platform.
import type http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';

/** The HTTP limits (config.httpLimits, from PAAS_HTTP_*). */
export interface HttpLimits {
  /** The whole request, headers and body, must arrive within this (408 otherwise); the answer may take longer. */
  requestTimeoutMs: number;
  /** The request's headers must arrive within this. */
  headersTimeoutMs: number;
  /** A socket with no byte either way for this long is closed (a stalled body, a silent keep-alive client). */
  idleTimeoutMs: number;
  /** The most header bytes a request may send (431 otherwise). */
  maxHeaderBytes: number;
  /** Headers past this count are dropped. */
  maxHeadersCount: number;
  /** Open connections one client address may hold; further ones are closed at once. */
  maxConnectionsPerClient: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = Object.freeze({
  requestTimeoutMs: 30_000, headersTimeoutMs: 20_000, idleTimeoutMs: 60_000,
  maxHeaderBytes: 16 * 1024, maxHeadersCount: 100, maxConnectionsPerClient: 256,
});

/** Options for http.createServer: node enforces the deadlines, checking them every 1/4 of the shortest (≤ 1 s). */
export function serverOptions(limits: HttpLimits): http.ServerOptions {
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  return {
    requestTimeout: limits.requestTimeoutMs, headersTimeout, maxHeaderSize: limits.maxHeaderBytes,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
}

/** Applies what http.createServer's options do not carry: the idle timeout, the header count and the per-client cap. */
export function applyHttpLimits(server: http.Server, limits: HttpLimits): void {
  server.setTimeout(limits.idleTimeoutMs);
  server.maxHeadersCount = limits.maxHeadersCount;
  limitConnectionsPerClient(server, limits.maxConnectionsPerClient);
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

/** The status and stable code for a request node's parser refused (the 'clientError' event). */
export function clientErrorStatus(err: NodeJS.ErrnoException): { status: 400 | 408 | 431; code: 'E_BAD_REQUEST' | 'E_REQUEST_TIMEOUT' | 'E_HEADERS_TOO_LARGE'; message: string } {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'E_REQUEST_TIMEOUT', message: 'The request took too long to arrive' };
  if (err.code === 'HPE_HEADER_OVERFLOW') return { status: 431, code: 'E_HEADERS_TOO_LARGE', message: 'The request headers are too large' };
  return { status: 400, code: 'E_BAD_REQUEST', message: 'The request is not valid HTTP' };
}

const REASONS = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' } as const;

/** Answers a refused request on its raw socket (when it can still be written) and closes it. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, body: (e: ReturnType<typeof clientErrorStatus>) => { type: string; text: string }): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const e = clientErrorStatus(err);
  const { type, text } = body(e);
  // Written, then the socket is destroyed: a client that never reads or closes cannot keep it open.
  socket.write(`HTTP/1.1 ${e.status} ${REASONS[e.status]}\r\ncontent-type: ${type}\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
  socket.destroy();
}
