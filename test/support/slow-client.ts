// test/support/slow-client.ts — hostile HTTP clients on raw sockets for the limits tests of the web port and the
// router: a slowloris body, a stalled body, an honest slow upload, oversized headers, and many connections from one
// address; each waits with a deadline.
import net from 'node:net';

export interface Closed { data: string; afterMs: number }

/** Resolves when the server closes the socket (with what it sent), or rejects after deadlineMs. */
export function closedByServer(socket: net.Socket, deadlineMs: number): Promise<Closed> {
  const started = Date.now();
  let data = '';
  socket.on('data', (c: Buffer) => { data += c.toString('latin1'); });
  socket.on('error', () => {});
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the socket open for ${deadlineMs} ms (got ${JSON.stringify(data.slice(0, 80))})`));
    }, deadlineMs);
    socket.once('close', () => { clearTimeout(timer); resolve({ data, afterMs: Date.now() - started }); });
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
}

/** A POST that promises 1000 bytes and sends one every everyMs: the server must close it; resolves with how and when. */
export async function slowloris(port: number, host: string, everyMs: number, deadlineMs: number, path = '/api/apps'): Promise<Closed> {
  const s = await connect(port);
  const closed = closedByServer(s, deadlineMs);
  s.write(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{`);
  const drip = setInterval(() => { if (s.writable) s.write(' '); }, everyMs);
  try {
    return await closed;
  } finally {
    clearInterval(drip);
  }
}

/**
 * An honest slow upload: a POST of `chunks` chunks of `chunkBytes` bytes, one every everyMs (its rate is
 * chunkBytes * 1000 / everyMs bytes a second); resolves with the answer once the server closes or answers in full.
 */
export async function steadyUpload(port: number, host: string, path: string, opts: { chunkBytes: number; chunks: number; everyMs: number; contentType: string }): Promise<Closed & { sentMs: number }> {
  const s = await connect(port);
  const started = Date.now();
  const closed = closedByServer(s, opts.chunks * opts.everyMs + 5000);
  const total = opts.chunkBytes * opts.chunks;
  s.write(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${opts.contentType}\r\nContent-Length: ${total}\r\nConnection: close\r\n\r\n`);
  let sent = 0;
  let sentMs = -1;
  const pace = setInterval(() => {
    if (!s.writable) return;
    s.write('a'.repeat(opts.chunkBytes));
    if (++sent === opts.chunks) {
      sentMs = Date.now() - started;
      clearInterval(pace);
    }
  }, opts.everyMs);
  try {
    return { ...(await closed), sentMs };
  } finally {
    clearInterval(pace);
  }
}

/**
 * A POST that promises 1000 bytes (or, `chunked`, a chunked body), sends `bytes` of them at once and then nothing:
 * the server must close it.
 */
export async function stalledBody(port: number, host: string, bytes: number, deadlineMs: number, path = '/api/apps', chunked = false): Promise<Closed> {
  const s = await connect(port);
  const closed = closedByServer(s, deadlineMs);
  const data = `{${' '.repeat(bytes - 1)}`;
  const framing = chunked ? `Transfer-Encoding: chunked\r\n\r\n${bytes.toString(16)}\r\n${data}\r\n` : `Content-Length: 1000\r\n\r\n${data}`;
  s.write(`POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n${framing}`);
  return closed;
}

/** Headers sent one line every everyMs, never finished. */
export async function slowHeaders(port: number, everyMs: number, deadlineMs: number): Promise<Closed> {
  const s = await connect(port);
  const closed = closedByServer(s, deadlineMs);
  s.write('GET / HTTP/1.1\r\nHost: x.localhost\r\n');
  let n = 0;
  const drip = setInterval(() => { if (s.writable) s.write(`x-drip-${n++}: 1\r\n`); }, everyMs);
  try {
    return await closed;
  } finally {
    clearInterval(drip);
  }
}

/** Sends one request with a header of `bytes` bytes and returns the server's answer as the socket closes. */
export async function hugeHeader(port: number, host: string, bytes: number): Promise<Closed> {
  const s = await connect(port);
  const closed = closedByServer(s, 5000);
  s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nX-Big: ${'a'.repeat(bytes)}\r\n\r\n`);
  return closed;
}

/** Opens n sockets to the port from 127.0.0.1 (all of them connect at the TCP level; the server decides what stays). */
export function openSockets(port: number, n: number): Promise<net.Socket[]> {
  return Promise.all(Array.from({ length: n }, () => connect(port)));
}

/** True when a socket is still open: a request on it gets an answer within deadlineMs. */
export function answers(socket: net.Socket, host: string, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), deadlineMs);
    socket.once('data', () => { clearTimeout(timer); resolve(true); });
    socket.once('close', () => { clearTimeout(timer); resolve(false); });
    socket.on('error', () => {});
    socket.write(`GET /healthz HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
  });
}

/**
 * Fills one address's connection cap, opens one more, then closes one held socket: what the server did with the extra
 * one, whether the held ones still answer, and whether a new connection is taken once the close has been counted.
 */
export async function probeConnectionCap(port: number, cap: number, host: string): Promise<{ extra: Closed; heldAnswer: boolean; acceptedAfterClose: boolean }> {
  const held = await openSockets(port, cap);
  const [extraSocket] = await openSockets(port, 1);
  const extra = await closedByServer(extraSocket!, 3000);
  const heldAnswer = await answers(held[0]!, host, 3000);
  held.pop()!.destroy();
  // The server counts the close when it sees it: the next connection is accepted once it has.
  let acceptedAfterClose = false;
  for (const deadline = Date.now() + 3000; !acceptedAfterClose && Date.now() < deadline;) {
    const [next] = await openSockets(port, 1);
    acceptedAfterClose = await answers(next!, host, 1000);
    next!.destroy();
  }
  held.forEach((s) => s.destroy());
  return { extra, heldAnswer, acceptedAfterClose };
}
