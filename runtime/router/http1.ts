// runtime/router/http1.ts — strict HTTP/1.x head parsing and body framing for the router's engine (connection.ts);
// pure, no I/O. Security boundary: the router is the edge for every tenant, so anything two parsers could read two
// ways (request smuggling) is refused here rather than passed on.
import { ROUTER_SECRET_HEADER } from '../../core/router-secret.ts';

/** 1 for the bytes of an RFC 9110 token (tchar). */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TOKEN[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** 1 for bytes a field value may not hold: controls (CR, LF and NUL among them) except HTAB, and DEL. */
const BAD_VALUE = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) if (c !== 0x09) BAD_VALUE[c] = 1;
BAD_VALUE[0x7f] = 1;

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;

/** Where a head ends in buf (the index just after its CRLFCRLF), searching from `from`; -1 if not yet. */
export function findHeadEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf('\r\n\r\n', from, 'latin1');
  return i < 0 ? -1 : i + 4;
}

/** True when an unfinished head already shows a bare LF line end (`\n\n`), which a complete head is refused for anyway. */
export function hasBareLfEnd(buf: Buffer, from: number): boolean {
  return buf.indexOf('\n\n', from, 'latin1') >= 0;
}

/** What the router needs from a request head; one per connection, reset for each request. */
export class RequestHead {
  method = '';
  target = '';
  http11 = true;
  host: string | undefined = undefined;
  /** -1 when the request has no Content-Length. */
  contentLength = -1;
  chunked = false;
  /** An Upgrade header with `upgrade` in Connection (a websocket handshake). */
  upgrade = false;
  /** The client asked to close after this exchange (Connection: close, or HTTP/1.0 without keep-alive). */
  close = false;
  /** X-Forwarded-For values the client sent, joined with ', '. */
  forwardedFor: string | undefined = undefined;
  /** Any X-Forwarded-* header the client sent (they are dropped or rewritten). */
  hasForwarded = false;
}

/**
 * Parses a complete request head (latin1, ending in CRLFCRLF) into out. Returns 0, 400 for anything not strictly
 * HTTP/1.x (obs-fold, bare CR or LF, space before a colon, bad bytes, CL with TE, several or odd Content-Lengths, a
 * transfer coding other than `chunked`), or 431 past maxHeaders headers.
 */
export function parseRequestHead(head: string, out: RequestHead, maxHeaders: number): 0 | 400 | 431 {
  out.host = undefined; out.contentLength = -1; out.chunked = false; out.upgrade = false; out.close = false;
  out.forwardedFor = undefined; out.hasForwarded = false;
  let eol = head.indexOf('\r\n');
  if (!parseRequestLine(head, eol, out)) return 400;
  let keepAlive = false;
  let connectionUpgrade = false;
  let upgradeHeader = false;
  let hosts = 0;
  let lengths = 0;
  let encodings = 0;
  let count = 0;
  const last = head.length - 2;
  for (let pos = eol + 2; pos < last; pos = eol + 2) {
    eol = head.indexOf('\r\n', pos);
    if (++count > maxHeaders) return 431;
    const colon = fieldColon(head, pos, eol);
    if (colon < 0) return 400;
    const n = colon - pos;
    if (n !== 4 && n !== 7 && n !== 9 && n !== 10 && (n < 13 || n > 17)) continue;
    const name = head.slice(pos, colon).toLowerCase();
    const value = fieldValue(head, colon + 1, eol);
    switch (name) {
      case 'host': hosts++; out.host = value; break;
      case 'content-length':
        if (++lengths > 1 || !/^\d{1,15}$/.test(value)) return 400;
        out.contentLength = Number(value);
        break;
      case 'transfer-encoding':
        if (++encodings > 1 || value.toLowerCase() !== 'chunked') return 400;
        out.chunked = true;
        break;
      case 'connection':
        for (const token of value.toLowerCase().split(',')) {
          const t = token.trim();
          if (t === 'close') out.close = true;
          else if (t === 'keep-alive') keepAlive = true;
          else if (t === 'upgrade') connectionUpgrade = true;
        }
        break;
      case 'upgrade': upgradeHeader = true; break;
      case 'x-forwarded-for': out.forwardedFor = out.forwardedFor === undefined ? value : `${out.forwardedFor}, ${value}`; out.hasForwarded = true; break;
      case 'x-forwarded-proto': case 'x-forwarded-host': case 'x-forwarded-port': out.hasForwarded = true; break;
      case ROUTER_SECRET_HEADER: out.hasForwarded = true; break; // only the router sends it, to the platform's port
      case 'forwarded': case 'x-real-ip': out.hasForwarded = true; break; // the edge names the client, not the client
    }
  }
  if (hosts > 1 || (out.http11 && hosts === 0)) return 400;
  if (out.chunked && (lengths > 0 || !out.http11)) return 400;
  if (!out.http11 && !keepAlive) out.close = true;
  out.upgrade = upgradeHeader && connectionUpgrade;
  return 0;
}

/** `METHOD SP origin-form|* SP HTTP/1.0|1.1`, nothing else (absolute- and authority-form are refused). */
function parseRequestLine(head: string, eol: number, out: RequestHead): boolean {
  let i = 0;
  while (i < eol && TOKEN[head.charCodeAt(i)] === 1) i++;
  if (i === 0 || head.charCodeAt(i) !== SP) return false;
  out.method = head.slice(0, i);
  if (out.method === 'CONNECT') return false; // a tunnel to elsewhere: not something the router does
  const start = ++i;
  while (i < eol) {
    const c = head.charCodeAt(i);
    if (c <= SP || c >= 0x7f) break;
    i++;
  }
  if (i === start || head.charCodeAt(i) !== SP || eol - i !== 9) return false;
  out.target = head.slice(start, i);
  const first = out.target.charCodeAt(0);
  if (first !== 0x2f && !(out.target === '*' && out.method === 'OPTIONS')) return false;
  const version = head.slice(i + 1, eol);
  if (version === 'HTTP/1.1') out.http11 = true;
  else if (version === 'HTTP/1.0') out.http11 = false;
  else return false;
  return true;
}

/** The index of a field line's colon after a non-empty token name; -1 for obs-fold, bad bytes or space before it. */
function fieldColon(s: string, pos: number, eol: number): number {
  let i = pos;
  while (i < eol && TOKEN[s.charCodeAt(i)] === 1) i++;
  if (i === pos || s.charCodeAt(i) !== 0x3a) return -1;
  for (let j = i + 1; j < eol; j++) if (BAD_VALUE[s.charCodeAt(j)] === 1) return -1;
  return i;
}

/** The field value between the colon and eol without surrounding whitespace. */
function fieldValue(s: string, from: number, eol: number): string {
  let a = from;
  let b = eol;
  while (a < b && (s.charCodeAt(a) === SP || s.charCodeAt(a) === HTAB)) a++;
  while (b > a && (s.charCodeAt(b - 1) === SP || s.charCodeAt(b - 1) === HTAB)) b--;
  return s.slice(a, b);
}

/** True when a whole field line (no CRLF) is `token:value` with a valid value (trailers are checked this way). */
export function isFieldLine(line: string): boolean {
  return fieldColon(line, 0, line.length) > 0;
}

/**
 * The head sent upstream: the client's head byte for byte, except that X-Forwarded-Proto/-Host/-Port the client
 * sent are dropped and set by the router (the edge decides them), X-Forwarded-For gets the client's address appended,
 * and X-Paas-Router is dropped, then set to `secret` when given (requests to the platform's own web port only).
 */
export function forwardedHead(head: string, h: RequestHead, remote: string, proto: string, port: string, secret?: string): string {
  const forwardedFor = h.forwardedFor === undefined ? remote : `${h.forwardedFor}, ${remote}`;
  const mark = secret === undefined ? '' : `${ROUTER_SECRET_HEADER}: ${secret}\r\n`;
  const added = `x-forwarded-for: ${forwardedFor}\r\nx-forwarded-proto: ${proto}\r\nx-forwarded-host: ${h.host ?? ''}\r\nx-forwarded-port: ${port}\r\n${mark}\r\n`;
  if (!h.hasForwarded) return head.slice(0, -2) + added;
  let kept = '';
  let pos = 0;
  for (let eol = head.indexOf('\r\n'); pos < head.length - 2; eol = head.indexOf('\r\n', pos)) {
    const line = head.slice(pos, eol + 2);
    if (!/^(x-forwarded-(for|proto|host|port)|x-paas-router|forwarded|x-real-ip):/i.test(line)) kept += line;
    pos = eol + 2;
  }
  return kept + added;
}

/** What the router needs from a response head. */
export class ResponseHead {
  status = 0;
  /** -1 when the response has no Content-Length. */
  contentLength = -1;
  chunked = false;
  /** The body runs until the app closes (a transfer coding other than chunked last, or neither length nor coding). */
  untilClose = false;
  /** The app will close after this response (Connection: close, or HTTP/1.0 without keep-alive). */
  close = false;
  hasHsts = false;
}

/** Parses a complete response head into out; false when it is not HTTP/1.x the router can frame. */
export function parseResponseHead(head: string, out: ResponseHead): boolean {
  out.contentLength = -1; out.chunked = false; out.untilClose = false; out.close = false; out.hasHsts = false;
  let eol = head.indexOf('\r\n');
  const status = parseStatusLine(head, eol);
  if (status < 0) return false;
  out.status = status;
  const http10 = head.charCodeAt(7) === 0x30;
  let keepAlive = !http10;
  let encodings = '';
  const last = head.length - 2;
  for (let pos = eol + 2; pos < last; pos = eol + 2) {
    eol = head.indexOf('\r\n', pos);
    const colon = fieldColon(head, pos, eol);
    if (colon < 0) return false;
    const n = colon - pos;
    // Only four names matter; a length and first letter check skips the others (Date, Keep-Alive…) without a copy.
    const c0 = head.charCodeAt(pos) | 0x20;
    if (!((n === 10 || n === 14) && c0 === 0x63) && !(n === 17 && c0 === 0x74) && !(n === 25 && c0 === 0x73)) continue;
    const name = head.slice(pos, colon).toLowerCase();
    const value = fieldValue(head, colon + 1, eol);
    if (name === 'content-length') {
      const length = responseLength(value);
      if (length < 0 || (out.contentLength >= 0 && out.contentLength !== length)) return false;
      out.contentLength = length;
    } else if (name === 'transfer-encoding') encodings = encodings ? `${encodings},${value}` : value;
    else if (name === 'connection') {
      const lower = value.toLowerCase();
      if (lower === 'keep-alive') keepAlive = true;
      else for (const token of lower.split(',')) {
        const t = token.trim();
        if (t === 'close') out.close = true;
        else if (t === 'keep-alive' && http10) keepAlive = true;
      }
    } else if (name === 'strict-transport-security') out.hasHsts = true;
  }
  if (!keepAlive) out.close = true;
  if (encodings) {
    out.chunked = encodings.toLowerCase().split(',').pop()!.trim() === 'chunked';
    out.untilClose = !out.chunked;
    out.contentLength = -1;
  } else if (out.contentLength < 0) out.untilClose = true;
  // untilClose applies only where the response has a body (not to HEAD, 1xx, 204, 304: hasNoBody), so it does not imply close.
  return true;
}

/** A response's Content-Length: several identical values are one length (RFC 9110 §8.6); -1 when invalid or differing. */
function responseLength(value: string): number {
  if (/^\d{1,15}$/.test(value)) return Number(value);
  const parts = value.split(',').map((v) => v.trim());
  return /^\d{1,15}$/.test(parts[0]!) && parts.every((v) => v === parts[0]) ? Number(parts[0]) : -1;
}

/** The status of `HTTP/1.x SP 3DIGIT [SP reason]` (the first eol chars of head), or -1. */
function parseStatusLine(head: string, eol: number): number {
  if (eol < 12 || !head.startsWith('HTTP/1.') || head.charCodeAt(8) !== SP) return -1;
  const minor = head.charCodeAt(7);
  if (minor !== 0x30 && minor !== 0x31) return -1;
  let status = 0;
  for (let i = 9; i < 12; i++) {
    const d = head.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    status = status * 10 + d;
  }
  if (status < 100 || (eol > 12 && head.charCodeAt(12) !== SP)) return -1;
  for (let i = 13; i < eol; i++) if (BAD_VALUE[head.charCodeAt(i)] === 1) return -1;
  return status;
}

/** True when a response to this request has no body whatever its headers say (HEAD, 1xx, 204, 304). */
export function hasNoBody(status: number, headRequest: boolean): boolean {
  return headRequest || status < 200 || status === 204 || status === 304;
}

const SIZE_FIRST = 0, SIZE = 1, EXT = 2, SIZE_LF = 3, DATA = 4, DATA_CR = 5, DATA_LF = 6, TRAILER_START = 7, TRAILER = 8,
  TRAILER_LF = 9, END_LF = 10, DONE = 11;
/** A chunk size may not pass 2^53 - 1 (it is counted in a double). */
const MAX_CHUNK = Number.MAX_SAFE_INTEGER;
/** Extensions of one chunk and all trailers together are bounded, so a body cannot grow memory without data. */
const MAX_EXT = 4096;

/** An incremental, strict chunked-body reader (RFC 9112 §7.1): sizes, extensions, CRLFs and trailers. */
export class ChunkedBody {
  private state = SIZE_FIRST;
  private remaining = 0;
  private digits = 0;
  private extra = 0;
  private line = '';
  private readonly maxTrailerBytes: number;

  constructor(maxTrailerBytes: number) {
    this.maxTrailerBytes = maxTrailerBytes;
  }

  get done(): boolean {
    return this.state === DONE;
  }

  reset(): void {
    this.state = SIZE_FIRST; this.remaining = 0; this.digits = 0; this.extra = 0; this.line = '';
  }

  /** Reads buf[start, end): returns where it stopped (the body's end once `done`), or -1 if the body is malformed. */
  consume(buf: Buffer, start: number, end: number): number {
    let i = start;
    while (i < end && this.state !== DONE) {
      if (this.state === DATA) {
        const n = Math.min(this.remaining, end - i);
        this.remaining -= n;
        i += n;
        if (this.remaining === 0) this.state = DATA_CR;
        continue;
      }
      if (!this.step(buf[i]!)) return -1;
      i++;
    }
    return i;
  }

  /** One byte outside chunk data; false when it breaks the grammar. */
  private step(c: number): boolean {
    switch (this.state) {
      case SIZE_FIRST: case SIZE: {
        const d = hexValue(c);
        if (d >= 0) {
          if (++this.digits > 14) return false;
          this.remaining = this.remaining * 16 + d;
          if (this.remaining > MAX_CHUNK) return false;
          this.state = SIZE;
          return true;
        }
        if (this.state === SIZE_FIRST) return false;
        if (c === 0x3b) { this.state = EXT; return true; }
        if (c === CR) { this.state = SIZE_LF; return true; }
        return false;
      }
      case EXT:
        if (c === CR) { this.state = SIZE_LF; return true; }
        return c !== LF && BAD_VALUE[c] !== 1 && ++this.extra <= MAX_EXT;
      case SIZE_LF:
        if (c !== LF) return false;
        this.digits = 0; this.extra = 0;
        this.state = this.remaining === 0 ? TRAILER_START : DATA;
        return true;
      case DATA_CR: this.state = DATA_LF; return c === CR;
      case DATA_LF: this.state = SIZE_FIRST; return c === LF;
      case TRAILER_START:
        if (c === CR) { this.state = END_LF; return true; }
        this.state = TRAILER;
        return this.trailerByte(c);
      case TRAILER: return this.trailerByte(c);
      case TRAILER_LF:
        if (c !== LF || !isFieldLine(this.line)) return false;
        this.line = '';
        this.state = TRAILER_START;
        return true;
      case END_LF: this.state = DONE; return c === LF;
      default: return false;
    }
  }

  private trailerByte(c: number): boolean {
    if (c === CR) { this.state = TRAILER_LF; return true; }
    if (c === LF || ++this.extra > this.maxTrailerBytes) return false;
    this.line += String.fromCharCode(c);
    return true;
  }
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}
