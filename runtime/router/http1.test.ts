// runtime/router/http1.test.ts — the router engine's strict HTTP/1 parsers on their own: hostile request heads and
// chunked bodies (smuggling attempts) are refused, honest ones are framed, and request heads are rewritten for the app.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkedBody, findHeadEnd, forwardedHead, parseRequestHead, parseResponseHead, RequestHead, ResponseHead } from './http1.ts';

/** Parses a request head given as lines (CRLF added), with a limit of 100 headers. */
function parse(lines: string[], maxHeaders = 100): { code: number; head: RequestHead } {
  const head = new RequestHead();
  return { code: parseRequestHead(`${lines.join('\r\n')}\r\n\r\n`, head, maxHeaders), head };
}

const get = (...headers: string[]) => ['GET / HTTP/1.1', 'Host: a.localhost', ...headers];

/** Reads a whole chunked body given as a string, in pieces of `step` bytes; -1 when refused, else where it ended. */
function readChunked(body: string, step = 1): number {
  const buf = Buffer.from(body, 'latin1');
  const reader = new ChunkedBody(16 * 1024);
  for (let pos = 0; pos < buf.length;) {
    const stop = reader.consume(buf, pos, Math.min(buf.length, pos + step));
    if (stop < 0) return -1;
    if (reader.done) return stop;
    pos = stop;
  }
  return reader.done ? buf.length : -2;
}

test('an honest request head is framed: host, length, chunked, close, upgrade', () => {
  const ok = parse(get('Content-Length: 12', 'Connection: keep-alive'));
  assert.equal(ok.code, 0);
  assert.deepEqual([ok.head.method, ok.head.target, ok.head.host, ok.head.contentLength, ok.head.close], ['GET', '/', 'a.localhost', 12, false]);
  assert.equal(parse(['POST /x HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked']).head.chunked, true);
  assert.equal(parse(['GET / HTTP/1.0']).head.close, true, 'HTTP/1.0 closes unless keep-alive');
  assert.equal(parse(['GET /ws HTTP/1.1', 'Host: a', 'Connection: Upgrade', 'Upgrade: websocket']).head.upgrade, true);
  assert.equal(parse(['OPTIONS * HTTP/1.1', 'Host: a']).code, 0);
});

test('hostile request heads: Content-Length with Transfer-Encoding, two Content-Lengths or an odd one are refused with 400', () => {
  assert.equal(parse(get('Content-Length: 5', 'Transfer-Encoding: chunked')).code, 400);
  assert.equal(parse(get('Transfer-Encoding: chunked', 'Content-Length: 5')).code, 400);
  assert.equal(parse(get('Content-Length: 5', 'Content-Length: 5')).code, 400);
  assert.equal(parse(get('Content-Length: 5', 'Content-Length: 6')).code, 400);
  for (const v of ['5, 5', '-1', '+5', '0x10', '5 5', '', '1e3', '9999999999999999']) assert.equal(parse(get(`Content-Length: ${v}`)).code, 400, v);
});

test('hostile request heads: a transfer coding other than exactly chunked (gzip, "chunked, identity", two headers) is refused with 400', () => {
  for (const v of ['gzip', 'chunked, identity', 'identity, chunked', 'gzip, chunked', 'chunked;q=1', 'xchunked']) {
    assert.equal(parse(get(`Transfer-Encoding: ${v}`)).code, 400, v);
  }
  assert.equal(parse(get('Transfer-Encoding: chunked', 'Transfer-Encoding: chunked')).code, 400);
  assert.equal(parse(['POST / HTTP/1.0', 'Transfer-Encoding: chunked']).code, 400, 'HTTP/1.0 has no chunked requests');
  assert.equal(parse(get('Transfer-Encoding: Chunked')).code, 0, 'coding names are case-insensitive');
});

test('hostile request heads: obs-fold, bare CR or LF, space before the colon, NUL or controls in a value are refused with 400', () => {
  assert.equal(parse(get('X-A: 1', ' folded')).code, 400);
  assert.equal(parse(get('X-A: 1', '\tfolded')).code, 400);
  assert.equal(parse(get('X-A: 1\nX-B: 2')).code, 400, 'bare LF');
  assert.equal(parse(get('X-A: 1\rX-B: 2')).code, 400, 'bare CR');
  assert.equal(parse(['GET / HTTP/1.1\nHost: a']).code, 400, 'bare LF after the request line');
  assert.equal(parse(get('Content-Length : 5')).code, 400, 'space before the colon');
  assert.equal(parse(get('X-A\t: 1')).code, 400, 'tab before the colon');
  assert.equal(parse(get('X-A: a\u0000b')).code, 400, 'NUL');
  assert.equal(parse(get('X-A: a\u0001b')).code, 400, 'control');
  assert.equal(parse(get('X-A: a\u007fb')).code, 400, 'DEL');
  assert.equal(parse(get('X(A): 1')).code, 400, 'not a token');
  assert.equal(parse(get(': 1')).code, 400, 'empty name');
  assert.equal(parse(get('X-A: tab\tinside and \u00e9')).code, 0, 'HTAB and obs-text are values');
});

test('hostile request lines: anything but METHOD SP origin-form SP HTTP/1.0 or 1.1 is refused with 400', () => {
  for (const line of ['GET  / HTTP/1.1', 'GET / HTTP/1.1 ', 'GET / HTTP/2.0', 'GET / http/1.1', 'GET /a b HTTP/1.1', 'GET http://x/ HTTP/1.1',
    'CONNECT a:443 HTTP/1.1', 'G(T / HTTP/1.1', 'GET /\u0000 HTTP/1.1', 'GET * HTTP/1.1', 'GET /', ' GET / HTTP/1.1']) {
    assert.equal(parse([line, 'Host: a']).code, 400, JSON.stringify(line));
  }
  assert.equal(parse(['GET / HTTP/1.1']).code, 400, 'HTTP/1.1 without Host');
  assert.equal(parse(get('Host: b')).code, 400, 'two Hosts');
});

test('hostile request heads: more headers than the limit get 431', () => {
  const many = Array.from({ length: 10 }, (_, i) => `X-${i}: 1`);
  assert.equal(parse(get(...many), 10).code, 431);
  assert.equal(parse(get(...many), 11).code, 0);
});

test('hostile chunked bodies: bad sizes, extensions, CRLFs, trailers and absurd sizes are refused', () => {
  assert.equal(readChunked('5\r\nhello\r\n0\r\n\r\n'), 15);
  assert.equal(readChunked('5;a=b;c="d e"\r\nhello\r\n0\r\nX-T: 1\r\n\r\nGET'), 35, 'extensions and trailers pass; the next request is not eaten');
  assert.equal(readChunked('A\r\n0123456789\r\n0\r\n\r\n', 7), 20, 'split anywhere');
  for (const bad of ['x\r\n', '\r\n', ' 5\r\nhello\r\n', '5 \r\nhello\r\n', '-5\r\n', '0x5\r\nhello\r\n', '5\nhello\r\n', '5\r\nhelloX\r\n',
    '5\r\nhello\n0\r\n\r\n', '5;a\u0000\r\nhello\r\n', '0\r\nX-T : 1\r\n\r\n', '0\r\n folded\r\n\r\n', '0\r\n\n',
    '20000000000000\r\n', 'fffffffffffffff\r\n', '000000000000001\r\n']) {
    assert.equal(readChunked(bad), -1, JSON.stringify(bad));
  }
});

test('a forwarded head keeps the client bytes, drops its X-Forwarded-Proto/Host/Port and appends to X-Forwarded-For', () => {
  const plain = `GET /p HTTP/1.1\r\nHost: a.localhost\r\nX-Custom: Yes\r\n\r\n`;
  const h = new RequestHead();
  assert.equal(parseRequestHead(plain, h, 100), 0);
  assert.equal(forwardedHead(plain, h, '1.2.3.4', 'http', '80'),
    'GET /p HTTP/1.1\r\nHost: a.localhost\r\nX-Custom: Yes\r\nx-forwarded-for: 1.2.3.4\r\nx-forwarded-proto: http\r\nx-forwarded-host: a.localhost\r\nx-forwarded-port: 80\r\n\r\n');
  const spoof = 'GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\nx-forwarded-for: 10.0.0.2\r\nX-Forwarded-Host: evil\r\n\r\n';
  assert.equal(parseRequestHead(spoof, h, 100), 0);
  assert.equal(forwardedHead(spoof, h, '1.2.3.4', 'https', '443'),
    'GET / HTTP/1.1\r\nHost: a\r\nx-forwarded-for: 10.0.0.1, 10.0.0.2, 1.2.3.4\r\nx-forwarded-proto: https\r\nx-forwarded-host: a\r\nx-forwarded-port: 443\r\n\r\n');
});

test('response heads are framed by length, chunked or close, and broken ones are refused', () => {
  const r = new ResponseHead();
  const res = (...lines: string[]) => parseResponseHead(`${lines.join('\r\n')}\r\n\r\n`, r);
  assert.ok(res('HTTP/1.1 200 OK', 'Content-Length: 5'));
  assert.deepEqual([r.status, r.contentLength, r.chunked, r.untilClose, r.close], [200, 5, false, false, false]);
  assert.ok(res('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, chunked', 'Content-Length: 5'));
  assert.deepEqual([r.chunked, r.contentLength], [true, -1]);
  assert.ok(res('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip'));
  assert.equal(r.untilClose, true);
  assert.ok(res('HTTP/1.1 204 No Content'));
  assert.deepEqual([r.untilClose, r.close], [true, false], 'a 204 without length does not close the connection');
  assert.ok(res('HTTP/1.0 200 OK', 'Content-Length: 1'));
  assert.equal(r.close, true, 'HTTP/1.0 closes unless keep-alive');
  assert.ok(res('HTTP/1.1 204'), 'no reason phrase');
  assert.ok(res('HTTP/1.1 200 OK', 'Content-Length: 5, 5'));
  assert.ok(!res('HTTP/1.1 200 OK', 'Content-Length: 5', 'Content-Length: 6'));
  assert.ok(!res('HTTP/1.1 200 OK', 'Content-Length: x'));
  assert.ok(!res('HTTP/1.1 200 OK', 'X: a', ' folded'));
  assert.ok(!res('HTTP/1.1 20 OK'));
  assert.ok(!res('HTTP/2 200 OK'));
});

test('hostile pipelining: the head of the next request is found right after a body, whatever the split', () => {
  const two = Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcdGET / HTTP/1.1\r\nHost: a\r\n\r\n', 'latin1');
  const end = findHeadEnd(two, 0);
  const h = new RequestHead();
  assert.equal(parseRequestHead(two.toString('latin1', 0, end), h, 100), 0);
  const next = end + h.contentLength;
  assert.equal(two.toString('latin1', next, next + 5), 'GET /');
  assert.equal(findHeadEnd(two, next), two.length);
});
