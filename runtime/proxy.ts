// runtime/proxy.ts — streams one HTTP request, or one Upgrade (websocket) connection, to a backend port on 127.0.0.1; used by router.ts.
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

/** Headers that describe one hop, not the message (RFC 9110 §7.6.1); a proxy must not pass them on. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authenticate']);

/** Copies headers without hop-by-hop ones and without those the Connection header names. */
function withoutHopHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const named = new Set(String(headers.connection ?? '').toLowerCase().split(',').map((s) => s.trim()));
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !hopByHop.has(name) && !named.has(name)) out[name] = value;
  }
  return out;
}

/**
 * Adds X-Forwarded-For (appended), -Proto, -Host and -Port. Proto is overwritten because the router is the edge:
 * a client must not be able to claim https.
 */
function addForwarded(headers: http.OutgoingHttpHeaders, req: http.IncomingMessage): void {
  const remote = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = prior ? `${String(prior)}, ${remote}` : remote;
  headers['x-forwarded-proto'] = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
}

/** Answers with a short text/plain body (the router's own 404/502/503 pages). */
export function sendText(res: http.ServerResponse, status: number, body: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

/** Proxies req to 127.0.0.1:port, streaming bodies both ways; calls onDone exactly once when the exchange is over. */
export function forwardRequest(req: http.IncomingMessage, res: http.ServerResponse, port: number, onDone: () => void): void {
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    onDone();
  };
  const headers = withoutHopHeaders(req.headers);
  addForwarded(headers, req);
  const upstream = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false });
  upstream.on('response', (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, withoutHopHeaders(upRes.headers));
    upRes.on('error', () => res.destroy());
    upRes.pipe(res);
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    sendText(res, 502, `Bad gateway: the app's web process did not answer (${err.code ?? err.message}).`);
    finish();
  });
  req.on('error', () => upstream.destroy());
  // The client went away before the response was complete: stop talking to the backend too.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
    finish();
  });
  req.pipe(upstream);
}

/** Serialises a request head for a raw socket; header values come from node's parser, which rejects CR/LF. */
function toRequestHead(req: http.IncomingMessage, headers: http.OutgoingHttpHeaders): string {
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  for (const [name, value] of Object.entries(headers)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) lines.push(`${name}: ${v}`);
  }
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Writes a minimal HTTP response on a raw (upgrade) socket and closes it. */
export function rejectUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  if (socket.destroyed) return;
  const head = `HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  socket.end(head + body);
}

/** Pipes an Upgrade request (websockets) to 127.0.0.1:port as raw bytes in both directions. */
export function forwardUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, port: number): void {
  const headers: http.OutgoingHttpHeaders = { ...req.headers };
  addForwarded(headers, req);
  const upstream = net.connect(port, '127.0.0.1');
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    upstream.write(toRequestHead(req, headers));
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (connected) socket.destroy();
    else rejectUpgrade(socket, 502, 'Bad Gateway', `Bad gateway: the app's web process did not answer (${err.code ?? err.message}).`);
  });
  socket.on('error', () => upstream.destroy());
  socket.on('close', () => upstream.destroy());
  // Before connect, the error handler is still writing the 502 to the client; don't cut it off.
  upstream.on('close', () => {
    if (connected) socket.destroy();
  });
}
