// core/router-secret.ts — the secret the router (local mode) adds to requests it forwards to the platform's own host
// (PAAS_DOMAIN), so the web server believes that request's X-Forwarded-For and -Proto: every client of the router
// arrives from 127.0.0.1, and so may any local process; only the router knows this secret. Kept in the data dir's
// private run/ (0700; masked in app sandboxes), so the router and the web server agree across processes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The request header that carries it; the router strips any a client sends. */
export const ROUTER_SECRET_HEADER = 'x-paas-router';

/** Reads the data dir's router secret, creating it (0600, 32 random bytes, hex) on first use; racing creators agree. */
export function routerSecret(dataDir: string): string {
  const file = path.join(dataDir, 'run', 'router-secret');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(file, crypto.randomBytes(32).toString('hex'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/.test(secret)) throw new Error(`${file} is not a router secret (64 hex digits); remove it and restart`);
  return secret;
}

/** True when a request's header value is the secret (constant time). */
export function isRouterSecret(secret: string, value: string | string[] | undefined): boolean {
  if (typeof value !== 'string' || value.length !== secret.length) return false;
  return crypto.timingSafeEqual(Buffer.from(value), Buffer.from(secret));
}
