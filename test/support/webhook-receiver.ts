// test/support/webhook-receiver.ts — a webhook receiver for tests: the test's own node:http server on 127.0.0.1:0
// that records each request (headers, raw body) and answers with scripted statuses (200 once the script runs out).
import http from 'node:http';
import type { TestContext } from 'node:test';

export interface Received { method: string; path: string; headers: http.IncomingHttpHeaders; body: string; json: Record<string, unknown> }

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Resolves once `count` requests have arrived (in arrival order). */
  until(count: number): Promise<Received[]>;
  /** Statuses (and Location for 3xx) to answer, in order; 'hang' answers nothing. */
  answers: Array<number | 'hang' | { status: number; location: string }>;

}

/** Starts a receiver closed when the test ends. */
export async function startReceiver(t: TestContext, answers: Receiver['answers'] = []): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: Array<{ count: number; resolve: (r: Received[]) => void }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: Record<string, unknown> = {};
      try { json = JSON.parse(body); } catch { /* recorded as received; the test's assertion says what was wrong */ }
      received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json });
      const answer = r.answers.shift() ?? 200;
      if (answer === 'hang') { /* never answers: the sender's timeout ends the attempt */ }
      else if (typeof answer === 'number') res.writeHead(answer, { 'content-type': 'text/plain' }).end(answer < 300 ? 'ok' : `status ${answer}`);
      else res.writeHead(answer.status, { location: answer.location }).end();
      for (const w of waiters.filter((x) => received.length >= x.count)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(received.slice()); }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const port = (server.address() as { port: number }).port;
  const r: Receiver = {
    url: `http://127.0.0.1:${port}/hook`, port, received, answers,
    until: (count) => received.length >= count ? Promise.resolve(received.slice()) : new Promise((resolve) => waiters.push({ count, resolve })),
  };
  return r;
}
