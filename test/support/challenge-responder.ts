// test/support/challenge-responder.ts — stands in for the router's /.well-known/acme-challenge/ answer in the ACME
// tests: a plain HTTP server on a free loopback port serving the tokens a ChallengeSink was given (or 404s on demand).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface ChallengeResponder {
  port: number;
  /** The sink to hand the ACME client: tokens set here are answered. */
  sink: { set(token: string, keyAuthorization: string): void; remove(token: string): void };
  /** When true, every challenge request gets a 404 (a challenge that cannot be met). */
  failing: boolean;
  /** Hosts pebble asked for, in order. */
  asked: string[];
}

/** Starts the responder; it closes when the test ends. */
export async function startResponder(t: Pick<TestContext, 'after'>): Promise<ChallengeResponder> {
  const tokens = new Map<string, string>();
  const responder = {
    port: 0, failing: false, asked: [] as string[],
    sink: { set: (token: string, ka: string) => void tokens.set(token, ka), remove: (token: string) => void tokens.delete(token) },
  };
  const server = http.createServer((req, res) => {
    const m = /^\/\.well-known\/acme-challenge\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
    responder.asked.push(String(req.headers.host));
    const answer = m && !responder.failing ? tokens.get(m[1]!) : undefined;
    if (answer === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('no such challenge');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  responder.port = (server.address() as AddressInfo).port;
  return responder;
}
