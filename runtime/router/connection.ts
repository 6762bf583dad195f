// runtime/router/connection.ts — one client connection of the router's engine: reads requests (strict framing,
// http1.ts), routes each by Host, pins one upstream socket to a backend and forwards bytes both ways, tracking the
// outstanding responses in order for the limits, drain, metrics and backend switches. Used by worker.ts.
//
// Why pinned: an upstream connection only ever carries this client's requests, so hop-by-hop headers (Connection,
// Keep-Alive, TE, Upgrade…) pass through unchanged with their meaning intact, and a framing disagreement between the
// router and an app can at worst confuse this client's own connection, never another tenant's.
import type net from 'node:net';
import { performance } from 'node:perf_hooks';
import { BODY_CUT_MESSAGES, judgeBody } from '../../core/http-limits.ts';
import type { Edge, PortState } from './edge.ts';
import { UPSTREAM_IDLE_MS } from './edge.ts';
import { ChunkedBody, findHeadEnd, forwardedHead, hasBareLfEnd, parseRequestHead, RequestHead } from './http1.ts';
import { HEAD_REFUSALS, pageBuffer, redirectPage, refusalPage } from './pages.ts';
import type { AppCounters } from './stats.ts';
import { toHostName, type Route } from './table.ts';
import { Upstream } from './upstream.ts';

/** Request side states: reading a head, a body, holding bytes (waiting for earlier responses), tunnelling, or done. */
export const HEAD = 0, BODY = 1, HOLD = 2, TUNNEL = 3, DONE = 4;
/** Why the client's socket is paused (bits): the upstream is full, the client is not reading, bytes are held. */
export const UPSTREAM_FULL = 1, CLIENT_FULL = 2, HELD = 4;
const CHALLENGE = '/.well-known/acme-challenge/';
/** Requests one connection may have outstanding (pipelined) before the router stops reading it. */
const MAX_PIPELINE = 32;
/** After the router's last byte is sent, how long a closing client has to send its FIN. */
const LINGER_MS = 5000;

/** One request forwarded upstream, until its response has ended. */
export class Exchange {
  bytesIn = 0;
  bytesOut = 0;
  status = 0;
  /** Some byte of its response went to the client. */
  sent = false;
  constructor(
    readonly counters: AppCounters | undefined,
    readonly port: PortState,
    readonly headRequest: boolean,
    readonly upgrade: boolean,
    readonly close: boolean,
    readonly started: number,
    /** When the request was fully sent (its head, then again at its body's end): the response deadline counts from it. */
    public writtenAt: number,
    /** The head to send again if an idle upstream hangs up before answering (idempotent, bodiless requests only). */
    public retry: string | undefined,
  ) {}
}

/** A client connection (plain or TLS). */
export class ClientConnection {
  readonly queue: Exchange[] = [];
  reqState = HEAD;
  closed = false;
  /** Why the client's socket is paused (UPSTREAM_FULL | CLIENT_FULL | HELD); 0 while it is read. */
  private pauses = 0;
  lastActive: number;
  private readonly req = new RequestHead();
  private readonly reqChunks: ChunkedBody;
  private readonly remote: string;
  private readonly localPort: string;
  private pending: Buffer | null = null;
  private headFrom = 0;
  private headStartedAt = 0;
  private afterBody = HEAD;
  private bodyLeft = 0;
  private bodyChunked = false;
  private bodyDiscard = false;
  private body = { bytes: 0, activeMs: 0, silentMs: 0 };
  private bodySeen = 0;
  private hostHeader: string | undefined = undefined;
  private hostName = '';
  /** The client half-closed while requests were held. */
  private ended = false;
  readonly up: Upstream;

  constructor(readonly edge: Edge, readonly client: net.Socket, readonly secure: boolean) {
    this.remote = client.remoteAddress ?? '';
    this.localPort = String(client.localPort ?? '');
    this.lastActive = edge.now;
    this.reqChunks = new ChunkedBody(edge.limits.maxHeaderBytes);
    this.up = new Upstream(this);
    client.setNoDelay(true);
    client.on('data', (chunk: Buffer) => this.onData(chunk));
    client.on('drain', () => { this.up.resumeReading(); this.unpause(CLIENT_FULL); });
    client.on('end', () => this.onEnd());
    client.on('error', () => client.destroy());
    client.on('close', () => this.teardown());
    edge.connections.add(this);
  }

  private onData(chunk: Buffer): void {
    this.lastActive = this.edge.now;
    if (this.reqState === TUNNEL) {
      this.up.write(chunk);
      return;
    }
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    this.feed(buf, 0);
  }

  /** Handles buf from pos: heads, bodies, pipelined requests. */
  private feed(buf: Buffer, pos: number): void {
    while (pos < buf.length && !this.closed) {
      const state = this.reqState;
      if (state === HEAD) pos = this.readHead(buf, pos);
      else if (state === BODY) pos = this.readBody(buf, pos);
      else if (state === HOLD) {
        this.hold(buf, pos);
        return;
      } else if (state === TUNNEL) {
        this.up.write(buf.subarray(pos));
        return;
      } else return; // DONE: the client asked to close; nothing after is read
      if (pos < 0) return;
    }
  }

  private readHead(buf: Buffer, pos: number): number {
    const limits = this.edge.limits;
    if (this.headStartedAt === 0) this.headStartedAt = this.edge.now;
    const end = findHeadEnd(buf, Math.max(pos, this.headFrom));
    if (end < 0 || end - pos > limits.maxHeaderBytes) {
      if (buf.length - pos > limits.maxHeaderBytes) return this.fail(refusalPage(HEAD_REFUSALS[431]), 431);
      if (hasBareLfEnd(buf, pos)) return this.fail(refusalPage(HEAD_REFUSALS[400]), 400);
      this.pending = pos === 0 ? buf : buf.subarray(pos);
      this.headFrom = Math.max(0, this.pending.length - 3);
      return -1;
    }
    this.headFrom = 0;
    const head = buf.toString('latin1', pos, end);
    const code = parseRequestHead(head, this.req, limits.maxHeadersCount);
    if (code !== 0) return this.fail(refusalPage(HEAD_REFUSALS[code]), code);
    this.headStartedAt = 0;
    return this.route(head, buf, pos, end);
  }

  /** Decides where the request goes: an answer of the router's own, the platform's web port or an app's backend. */
  private route(head: string, buf: Buffer, pos: number, end: number): number {
    const edge = this.edge;
    edge.sync();
    const req = this.req;
    // Keep-alive clients send the same Host again and again: its name is worked out once.
    if (req.host !== this.hostHeader) {
      this.hostHeader = req.host;
      this.hostName = toHostName(req.host);
    }
    const host = this.hostName;
    if (!this.secure && req.target.startsWith(CHALLENGE) && req.method === 'GET') {
      const key = edge.table.challenges.get(req.target.slice(CHALLENGE.length));
      return this.answer(buf, pos, end, key === undefined ? pageBuffer(404, 'No such challenge.', false) : challengeAnswer(key));
    }
    const where = edge.table.resolve(host);
    if (where.kind === 'platform') return this.forward(head, buf, pos, end, undefined, where.port, undefined);
    // A request answered here waits for the responses before it (held, then parsed again): answer() counts it once,
    // when it is written, whether the connection stays open or is closed after it (a request with a body).
    if (where.kind === 'none' || where.route === undefined) {
      return this.answer(buf, pos, end, pageBuffer(404, `No app is served at ${host || '(no Host header)'}.`, false), () => { edge.stats.unrouted++; });
    }
    const counters = edge.stats.of(where.app);
    if (where.route.backends.length === 0) {
      return this.answer(buf, pos, end, pageBuffer(503, `${where.app} has no running web process.`, false), () => counters.record(503, 0, end - pos, 0));
    }
    if (!this.secure && edge.tlsPort !== 0 && edge.table.options(where.app)?.redirectHttps && edge.hasCertificate(host)) {
      return this.answer(buf, pos, end, redirectPage(host, edge.tlsPort, req.target), () => counters.record(308, 0, end - pos, 0));
    }
    return this.forward(head, buf, pos, end, counters, 0, where.route);
  }

  /** Writes the request head upstream (switching upstreams first if its target changed) and starts its body. */
  private forward(head: string, buf: Buffer, pos: number, end: number, counters: AppCounters | undefined, platformPort: number, route: Route | undefined): number {
    if (this.queue.length >= MAX_PIPELINE) return this.hold(buf, pos);
    const up = this.up;
    if (!up.fits(route, platformPort)) {
      if (this.queue.length > 0) return this.hold(buf, pos);
      up.close();
      up.open(route ? this.edge.table.nextBackend(route) : platformPort, route);
    } else if (route !== undefined && up.repick && this.queue.length === 0) {
      // Backends joined the app (ps:scale up): keep-alive connections take the next in turn, as new ones would,
      // so the load spreads over them instead of staying where it was.
      up.repick = false;
      const port = this.edge.table.nextBackend(route);
      if (port === up.port!.port) up.busy();
      else {
        up.close();
        up.open(port, route);
      }
    } else if (this.queue.length === 0) up.busy();
    const req = this.req;
    const secret = route === undefined ? this.edge.table.platformSecret : undefined;
    const out = forwardedHead(head, req, this.remote, this.secure ? 'https' : 'http', this.localPort, secret);
    const bodiless = req.contentLength <= 0 && !req.chunked;
    const idempotent = req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS';
    const retry = up.reused && this.queue.length === 0 && bodiless && idempotent ? out : undefined;
    const ex = new Exchange(counters, up.port!, req.method === 'HEAD', req.upgrade, req.close, performance.now(), this.edge.now, retry);
    ex.bytesIn = end - pos;
    this.queue.push(ex);
    up.port!.inflight++;
    up.writeHead(out);
    this.startBody(false);
    return end;
  }

  /**
   * Answers from the router itself (after any earlier responses on this connection) and skips the request's body.
   * A HEAD gets the head alone; a request with a body is answered and the connection closed, so a client that waits
   * for `100 Continue` before sending its body cannot have its next request read as that body. `count` runs once the
   * answer is written (not while the request is held): exactly once per request answered, kept alive or closed after.
   */
  private answer(buf: Buffer, pos: number, end: number, page: Buffer, count?: () => void): number {
    if (this.queue.length > 0) return this.hold(buf, pos);
    count?.();
    const req = this.req;
    const out = req.method === 'HEAD' ? page.subarray(0, page.indexOf('\r\n\r\n') + 4) : page;
    if (req.chunked || req.contentLength > 0) {
      this.teardown();
      this.client.end(out);
      this.linger();
      return -1;
    }
    // A client that sends requests and reads no answers is not read either.
    if (!this.client.write(out)) this.pause(CLIENT_FULL);
    this.startBody(true);
    return end;
  }

  /** Sets up the framing of the body that follows the head just read (`discard`: the router answered it itself). */
  private startBody(discard: boolean): void {
    const req = this.req;
    this.afterBody = req.upgrade && !discard ? HOLD : req.close ? DONE : HEAD;
    this.bodyDiscard = discard;
    if (req.chunked || req.contentLength > 0) {
      this.bodyChunked = req.chunked;
      if (req.chunked) this.reqChunks.reset();
      else this.bodyLeft = req.contentLength;
      this.body.bytes = 0; this.body.activeMs = 0; this.body.silentMs = 0; this.bodySeen = 0;
      this.reqState = BODY;
    } else this.endBody();
  }

  private readBody(buf: Buffer, pos: number): number {
    let stop: number;
    if (this.bodyChunked) {
      stop = this.reqChunks.consume(buf, pos, buf.length);
      // Once the router has answered the request itself, a refusal would be an answer to nothing: just close.
      if (stop < 0) return this.fail(this.bodyDiscard ? undefined : refusalPage(HEAD_REFUSALS[400]), 400, true);
    } else {
      stop = pos + Math.min(this.bodyLeft, buf.length - pos);
      this.bodyLeft -= stop - pos;
    }
    this.bodySeen += stop - pos;
    if (!this.bodyDiscard) {
      const ex = this.queue[this.queue.length - 1];
      if (ex) ex.bytesIn += stop - pos;
      this.up.write(buf.subarray(pos, stop));
    }
    if (this.bodyChunked ? this.reqChunks.done : this.bodyLeft === 0) this.endBody();
    return stop;
  }

  private endBody(): void {
    if (!this.bodyDiscard) {
      const ex = this.queue[this.queue.length - 1];
      if (ex) ex.writtenAt = this.edge.now;
    }
    this.reqState = this.afterBody;
    this.bodyDiscard = false;
    if (this.reqState === DONE && this.queue.length === 0) this.endClient();
  }

  /** Keeps buf[pos..] (from a head on) until the outstanding responses are over, and stops reading the client. */
  private hold(buf: Buffer, pos: number): -1 {
    this.pending = pos === 0 ? buf : buf.subarray(pos);
    this.headFrom = 0;
    this.headStartedAt = 0;
    this.reqState = HOLD;
    this.pause(HELD);
    return -1;
  }

  /** The outstanding responses are over (or a 101 came): reads what was held, and the client again. */
  resumeHeld(tunnel: boolean): void {
    const held = this.pending;
    this.pending = null;
    this.reqState = tunnel ? TUNNEL : HEAD;
    this.unpause(HELD);
    if (held !== null) this.feed(held, 0);
    if (this.ended && !this.closed && this.reqState === HEAD) {
      if (this.queue.length === 0) this.endClient();
      else this.reqState = DONE;
    }
  }

  /** The response that ends the queue was written: the client asked to close, or held bytes wait. */
  queueEmptied(): void {
    if (this.reqState === DONE) this.endClient();
    else if (this.reqState === HOLD && !this.queue[0]?.upgrade) queueMicrotask(() => { if (!this.closed && this.queue.length === 0) this.resumeHeld(false); });
  }

  /** The upstream takes bytes again: so does the router from the client (unless it holds them for another reason). */
  upstreamDrained(): void {
    this.unpause(UPSTREAM_FULL);
  }

  /** Stops reading the client for one more reason. */
  pause(why: number): void {
    if (this.pauses === 0) this.client.pause();
    this.pauses |= why;
  }

  /** Drops one reason to stop reading; reads again when none is left. */
  unpause(why: number): void {
    if ((this.pauses & why) === 0) return;
    this.pauses &= ~why;
    if (this.pauses === 0) this.client.resume();
  }

  /** Closes the client once what was written to it is sent; whatever is outstanding is dropped. */
  endClient(): void {
    this.teardown();
    this.client.end();
    this.linger();
  }

  /**
   * Never relies on the peer to finish a close: a client that sends no FIN after the router's last byte is cut
   * LINGER_MS later, and one that reads nothing (so the last bytes never leave) once nothing moved for the idle timeout.
   */
  private linger(): void {
    const client = this.client;
    if (client.destroyed) return;
    client.setTimeout(this.edge.limits.idleTimeoutMs, () => client.destroy());
    if (client.writableFinished) client.setTimeout(LINGER_MS);
    else client.once('finish', () => client.setTimeout(LINGER_MS));
  }

  private onEnd(): void {
    // The client half-closed. With nothing outstanding, close. Requests held for later are answered first. Else the
    // half-close goes on to the app, as on a direct connection: the app decides whether to finish its answers or
    // hang up (and the router follows).
    if (this.reqState === TUNNEL) this.up.end();
    else if (this.queue.length === 0) this.endClient();
    else if (this.reqState === HOLD) this.ended = true;
    else {
      this.reqState = DONE;
      this.up.end();
    }
  }

  /**
   * Ends the connection: with page (a refusal or gateway error, `status` counted for the app) when the client would
   * read it as the answer to the request it is about, else by cutting it. `queued`: the page answers the request
   * outstanding (504, 502, a body cut off), not a new head that is refused.
   */
  fail(page: Buffer | undefined, status: number, queued = false): -1 {
    if (this.closed) return -1;
    const first = this.queue[0];
    const canAnswer = page !== undefined && this.client.writable && (queued ? this.queue.length <= 1 && !first?.sent : this.queue.length === 0);
    if (first && canAnswer) first.counters?.record(status, performance.now() - first.started, first.bytesIn, page.length);
    this.teardown();
    if (canAnswer) {
      // Written, then the socket is closed: a client that never reads or closes cannot keep it open (linger).
      this.client.end(page);
      this.linger();
    } else this.client.destroy();
    return -1;
  }

  /** Forgets the upstream and every outstanding exchange (their ports no longer wait on them). */
  private teardown(): void {
    if (this.closed) return;
    this.closed = true;
    this.reqState = DONE;
    this.edge.connections.delete(this);
    this.up.close();
    for (const ex of this.queue) if (--ex.port.inflight === 0) this.edge.settled();
    this.queue.length = 0;
  }

  /** Checks the deadlines (from Edge's timer): headers, body rate and silence, idle socket, upstream answer and idleness. */
  tick(now: number, dt: number): void {
    const limits = this.edge.limits;
    if (this.reqState === HEAD && this.headStartedAt > 0 && now - this.headStartedAt >= limits.headersTimeoutMs) {
      this.fail(refusalPage(HEAD_REFUSALS[408]), 408);
      return;
    }
    if (this.reqState === BODY) {
      const b = this.body;
      b.bytes += this.bodySeen;
      // Time the router holds the body back (the app is not reading) counts for neither rate nor silence.
      if (this.pauses === 0) {
        b.activeMs += dt;
        b.silentMs = this.bodySeen > 0 ? 0 : b.silentMs + dt;
      }
      this.bodySeen = 0;
      const why = judgeBody(b, limits);
      if (why !== undefined) {
        const page = refusalPage({ status: 408, code: 'E_REQUEST_TIMEOUT', message: BODY_CUT_MESSAGES[why] });
        this.fail(this.bodyDiscard ? undefined : page, 408, true);
        return;
      }
    }
    const quiet = this.queue.length === 0 && this.reqState === HEAD && this.headStartedAt === 0;
    if (quiet && now - this.lastActive >= limits.idleTimeoutMs) this.client.destroy();
    else this.up.tick(now, UPSTREAM_IDLE_MS);
  }

  readingBody(): boolean {
    return this.reqState === BODY;
  }

  /** The engine's route table changed and this upstream's port is no longer routed. */
  retire(): void {
    this.up.retire();
  }

  closeIdleUpstream(): void {
    if (this.queue.length === 0) this.up.close();
  }
}

/** The key authorization for an ACME HTTP-01 challenge. */
function challengeAnswer(key: string): Buffer {
  return Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(key)}\r\n\r\n${key}`, 'latin1');
}
