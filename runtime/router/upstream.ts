// runtime/router/upstream.ts — the upstream half of a client connection (connection.ts): the one socket pinned to a
// backend, the response framing that tells where each response ends (status, headers, then length, chunked or until
// close; none for HEAD, 1xx, 204, 304), raw forwarding to the client, websocket tunnels after a 101, retries, the
// response deadline and idle closing.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { UPSTREAM_FULL, type ClientConnection, type Exchange } from './connection.ts';
import type { PortState } from './edge.ts';
import { ChunkedBody, findHeadEnd, hasNoBody, parseResponseHead, ResponseHead } from './http1.ts';
import { badGatewayPage, gatewayTimeoutPage } from './pages.ts';
import type { Route } from './table.ts';

const R_HEAD = 0, R_LENGTH = 1, R_CHUNKED = 2, R_CLOSE = 3, R_TUNNEL = 4;
/** A response head larger than this is a broken app. */
const MAX_RESPONSE_HEAD = 64 * 1024;
const HSTS = 'strict-transport-security: max-age=31536000\r\n\r\n';

/** The upstream socket of one client connection, and the framing of the responses on it. */
export class Upstream {
  socket: net.Socket | null = null;
  port: PortState | null = null;
  /** The app's route it serves, undefined for the platform's web port. */
  route: Route | undefined = undefined;
  /** It has carried a complete exchange (so it may have been closed by the app while idle). */
  reused = false;
  /** Backends joined its app since it opened: at its next idle request it takes the app's next backend in turn. */
  repick = false;
  private retiring = false;
  private idleSince = 0;
  private retried = false;
  private state: number = R_HEAD;
  private pending: Buffer | null = null;
  private headFrom = 0;
  private left = 0;
  private readonly chunks: ChunkedBody;
  private readonly head = new ResponseHead();

  constructor(private readonly conn: ClientConnection) {
    this.chunks = new ChunkedBody(MAX_RESPONSE_HEAD);
  }

  /** True when the open upstream may carry a request for route (or the platform's port): same app, port still routed. */
  fits(route: Route | undefined, platformPort: number): boolean {
    if (this.socket === null || this.retiring) return false;
    if (route === undefined) return this.route === undefined && this.port!.port === platformPort;
    return this.route !== undefined && this.route.app === route.app && route.backends.includes(this.port!.port);
  }

  /** Connects to 127.0.0.1:port (writes before the connection is up are queued by the socket). */
  open(port: number, route: Route | undefined): void {
    const edge = this.conn.edge;
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    this.socket = socket;
    this.port = edge.portState(port);
    this.port.pinned.add(this.conn);
    this.route = route;
    this.reused = false;
    this.retiring = false;
    this.retried = false;
    this.repick = false;
    this.state = R_HEAD;
    this.pending = null;
    this.headFrom = 0;
    this.idleSince = edge.now;
    let error: NodeJS.ErrnoException | undefined;
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('drain', () => this.onDrain(socket));
    socket.on('error', (err) => { error = err; });
    socket.on('close', () => this.onClose(socket, error));
  }

  /** Closes the upstream at once (idle, retired, or the client is gone). */
  close(): void {
    const socket = this.socket;
    if (socket === null) return;
    this.detach();
    socket.destroy();
  }

  /** The idle upstream takes a request again. */
  busy(): void {
    this.port?.idle.delete(this.conn);
  }

  /** Closes now if idle, else once the current responses are over. */
  retire(): void {
    if (this.conn.queue.length === 0) this.close();
    else this.retiring = true;
  }

  writeHead(head: string): void {
    if (this.socket !== null && !this.socket.write(head, 'latin1')) this.holdClient();
  }

  /** Body or tunnel bytes from the client; the client is paused while the upstream's buffer is full. */
  write(chunk: Buffer): void {
    if (this.socket !== null && !this.socket.write(chunk)) this.holdClient();
  }

  end(): void {
    this.socket?.end();
  }

  /** The client's buffer drained: read the app again. */
  resumeReading(): void {
    if (this.socket?.isPaused()) this.socket.resume();
  }

  /** The response deadline (not for the platform's port: git pushes stream for minutes) and idle closing. */
  tick(now: number, idleMs: number): void {
    // A tunnel (a websocket) is the client's until either side closes: never idle-closed, never timed out here.
    if (this.socket === null || this.state === R_TUNNEL) return;
    const first = this.conn.queue[0];
    if (first === undefined) {
      // An app may answer before the request body is over; the upstream is not idle while the body still flows.
      if (now - this.idleSince >= idleMs && !this.conn.readingBody()) this.close();
    } else if (this.route !== undefined && !first.sent && this.state === R_HEAD && !(this.conn.queue.length === 1 && this.conn.readingBody())
      && now - first.writtenAt >= this.conn.edge.upstreamTimeoutMs) {
      // The deadline counts from the end of the request's body (a long upload is the body limits' business).
      this.conn.fail(gatewayTimeoutPage(this.conn.edge.upstreamTimeoutMs), 504, true);
    }
  }

  private holdClient(): void {
    this.conn.pause(UPSTREAM_FULL);
  }

  private onDrain(socket: net.Socket): void {
    if (socket === this.socket) this.conn.upstreamDrained();
  }

  private detach(): void {
    this.port?.pinned.delete(this.conn);
    this.port?.idle.delete(this.conn);
    this.socket = null;
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (socket !== this.socket) return;
    const conn = this.conn;
    conn.lastActive = conn.edge.now;
    if (this.state === R_TUNNEL) {
      this.toClient(chunk);
      return;
    }
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let pos = 0;
    let from = 0; // bytes from `from` to `pos` are forwarded as they are, in one write
    while (pos < buf.length && socket === this.socket) {
      const ex = conn.queue[0];
      if (ex === undefined) {
        // Bytes nobody asked for: the app is broken; this upstream is not trusted with another request.
        this.close();
        break;
      }
      if (this.state === R_HEAD) {
        const end = findHeadEnd(buf, Math.max(pos, this.headFrom));
        if (end < 0) {
          if (buf.length - pos > MAX_RESPONSE_HEAD) return this.broken(ex, buf, from, pos);
          this.flush(buf, from, pos);
          this.pending = buf.subarray(pos);
          this.headFrom = Math.max(0, this.pending.length - 3);
          return;
        }
        this.headFrom = 0;
        if (!parseResponseHead(buf.toString('latin1', pos, end), this.head)) return this.broken(ex, buf, from, pos);
        from = this.startResponse(ex, buf, from, pos, end);
        pos = end;
        if ((this.state as number) === R_TUNNEL) return this.startTunnel(buf, from);
        if (this.state === R_HEAD && ex.status >= 200) from = this.finish(ex, buf, from, pos);
      } else if (this.state === R_LENGTH) {
        const n = Math.min(this.left, buf.length - pos);
        this.left -= n;
        pos += n;
        ex.bytesOut += n;
        if (this.left === 0) from = this.finish(ex, buf, from, pos);
      } else if (this.state === R_CHUNKED) {
        const stop = this.chunks.consume(buf, pos, buf.length);
        if (stop < 0) return this.broken(ex, buf, from, pos);
        ex.bytesOut += stop - pos;
        pos = stop;
        if (this.chunks.done) from = this.finish(ex, buf, from, pos);
      } else {
        ex.bytesOut += buf.length - pos;
        pos = buf.length;
      }
    }
    this.flush(buf, from, pos);
  }

  /** A response head was read: decides its framing, and inserts HSTS when asked. Returns where raw forwarding resumes. */
  private startResponse(ex: Exchange, buf: Buffer, from: number, pos: number, end: number): number {
    const head = this.head;
    const status = head.status;
    ex.status = status;
    ex.sent = true;
    ex.bytesOut += end - pos;
    if (status === 101) {
      this.state = ex.upgrade ? R_TUNNEL : R_HEAD;
      if (!ex.upgrade) this.conn.fail(undefined, 502);
    } else if (hasNoBody(status, ex.headRequest)) this.state = R_HEAD;
    else if (head.chunked) { this.state = R_CHUNKED; this.chunks.reset(); }
    else if (head.untilClose) this.state = R_CLOSE;
    else if (head.contentLength === 0) this.state = R_HEAD;
    else { this.state = R_LENGTH; this.left = head.contentLength; }
    const conn = this.conn;
    if (conn.secure && status >= 200 && !head.hasHsts && this.route !== undefined && conn.edge.table.options(this.route.app)?.hsts) {
      this.flush(buf, from, pos);
      const withHsts = buf.toString('latin1', pos, end - 2) + HSTS;
      ex.bytesOut += HSTS.length - 2;
      this.toClient(Buffer.from(withHsts, 'latin1'));
      return end;
    }
    return from;
  }

  /** A response ended: forwards it, counts it, and moves on (closing as the app or the client asked). */
  private finish(ex: Exchange, buf: Buffer, from: number, pos: number): number {
    this.flush(buf, from, pos);
    const conn = this.conn;
    conn.queue.shift();
    this.state = R_HEAD;
    ex.counters?.record(ex.status, performance.now() - ex.started, ex.bytesIn, ex.bytesOut);
    if (--ex.port.inflight === 0) conn.edge.settled();
    if (this.head.close || ex.close) {
      // The app closes after this response, or the client asked to: as a direct connection would, the client's closes too.
      this.close();
      if (conn.queue.length > 0 || ex.close) conn.endClient();
      else conn.queueEmptied();
      return pos;
    }
    this.reused = true;
    this.retried = false; // a retry is once per request, not once per upstream
    if (conn.queue.length === 0) {
      if (this.retiring) this.close();
      else {
        this.idleSince = conn.edge.now;
        conn.edge.markIdle(conn, this.port!);
      }
      conn.queueEmptied();
    }
    return pos;
  }

  /** A 101: from here on both ways are raw bytes. */
  private startTunnel(buf: Buffer, from: number): void {
    const conn = this.conn;
    const ex = conn.queue.shift()!;
    this.flush(buf, from, buf.length);
    ex.counters?.record(101, performance.now() - ex.started, ex.bytesIn, ex.bytesOut);
    if (--ex.port.inflight === 0) conn.edge.settled();
    this.port?.pinned.delete(conn);
    conn.resumeHeld(true);
  }

  /** A malformed response: a 502 if the client has had nothing of it yet, else the client is cut. */
  private broken(ex: Exchange, buf: Buffer, from: number, pos: number): void {
    this.flush(buf, from, pos);
    this.conn.fail(ex.sent ? undefined : badGatewayPage('its response was not valid HTTP'), 502, true);
  }

  private flush(buf: Buffer, from: number, to: number): void {
    if (to > from) this.toClient(from === 0 && to === buf.length ? buf : buf.subarray(from, to));
  }

  private toClient(data: Buffer): void {
    if (!this.conn.closed && !this.conn.client.write(data)) this.socket?.pause();
  }

  private onClose(socket: net.Socket, error: NodeJS.ErrnoException | undefined): void {
    if (socket !== this.socket) return;
    this.detach();
    const conn = this.conn;
    const ex = conn.queue[0];
    if (this.state === R_TUNNEL) {
      conn.endClient();
    } else if (ex === undefined) {
      // An idle upstream closed: the next request opens another.
    } else if (this.state === R_CLOSE) {
      this.head.close = true; // the body ended with the connection: nothing is left to reuse or mark idle
      this.finish(ex, Buffer.alloc(0), 0, 0);
      conn.endClient();
    } else if (!ex.sent && this.state === R_HEAD) {
      if (this.pending === null) this.noAnswer(ex, error);
      else conn.fail(badGatewayPage('it hung up in the middle of its response head'), 502, true);
    } else conn.fail(undefined, 502);
  }

  /** The upstream went before any byte of the response: retry an idempotent request once on a fresh connection, else 502. */
  private noAnswer(ex: Exchange, error: NodeJS.ErrnoException | undefined): void {
    const conn = this.conn;
    if (ex.retry !== undefined && !this.retried && conn.queue.length === 1) {
      const head = ex.retry;
      ex.retry = undefined;
      this.open(ex.port.port, this.route);
      this.retried = true;
      this.writeHead(head);
      return;
    }
    conn.fail(badGatewayPage(error?.code ?? 'it closed the connection'), 502, true);
  }
}
