// controller/webhook-send.ts — one attempt of one outgoing webhook: a signed JSON POST to the hook's URL. The address
// dialled is checked here, at send time (core/webhook-target.ts), inside the connection's own DNS lookup, so a name
// that resolved to a public address at registration and to a private one now (DNS rebinding) is refused.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { literalAddress, refusedAddress } from '../core/webhook-target.ts';

/** How much of a response body is read (for the log's error line); the rest is never read. */
const BODY_CAP_BYTES = 1024;

export interface SendOptions { timeoutMs: number; allowPrivate: boolean; userAgent: string }
export interface SendResult { ok: boolean; code?: number; error?: string; ms: number }

/** A lookup that refuses any address the platform may not send to (the connection never opens). */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const why = list.map((a) => refusedAddress(a.address, allowPrivate)).find((w) => w !== undefined);
      if (why || !list.length) return callback(Object.assign(new Error(why ?? `${hostname} has no address`), { code: 'E_HOOK_URL_REFUSED' }), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** POSTs the body with its headers once; never follows redirects; a 2xx is success, anything else a failure. */
export function sendWebhook(rawUrl: string, body: string, headers: Record<string, string>, opts: SendOptions): Promise<SendResult> {
  const started = Date.now();
  const done = (r: Omit<SendResult, 'ms'>): SendResult => ({ ...r, ms: Date.now() - started });
  const url = new URL(rawUrl);
  const literal = literalAddress(url);
  const refused = literal !== undefined ? refusedAddress(literal, opts.allowPrivate) : undefined;
  if (refused) return Promise.resolve(done({ ok: false, error: `refused: ${refused}` }));
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(url, {
      method: 'POST', lookup: guardedLookup(opts.allowPrivate), signal: AbortSignal.timeout(opts.timeoutMs), agent: false,
      headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), 'User-Agent': opts.userAgent },
    }, (res) => {
      const code = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        res.destroy();
        const ok = code >= 200 && code < 300;
        const excerpt = Buffer.concat(chunks).toString('utf8').replace(/[\x00-\x1f\x7f]+/g, ' ').trim().slice(0, 200);
        resolve(done(ok ? { ok, code } : { ok, code, error: `HTTP ${code}${code >= 300 && code < 400 ? ' (redirects are not followed)' : ''}${excerpt ? `: ${excerpt}` : ''}` }));
      };
      res.on('data', (c: Buffer) => { if (size < BODY_CAP_BYTES) chunks.push(c.subarray(0, BODY_CAP_BYTES - size)); size += c.length; if (size >= BODY_CAP_BYTES) finish(); });
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      const what = err.name === 'TimeoutError' || err.name === 'AbortError' ? `timed out after ${opts.timeoutMs} ms`
        : err.code === 'E_HOOK_URL_REFUSED' ? `refused: ${err.message}` : `${err.code ?? 'error'}: ${err.message}`;
      resolve(done({ ok: false, error: what.slice(0, 300) }));
    });
    req.end(body);
  });
}
