// runtime/local/deploy-under-load.test.ts — zero-downtime under steady load (issue 10): 16 clients send requests
// without pause through the real Router while the real Supervisor deploys v2 and v3 and scales web up and down; no
// request may fail, no client may see an older version after a newer one, and the old processes must be gone.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test, type TestContext } from 'node:test';
import { isAlive, makeSlug, startHarness, toRelease, waitFor, type Harness } from '../../test/support/local-runtime.ts';

const host = 'myapp.localhost';
const CLIENTS = 16;
/** Answers each client must get in a phase before the next step, and in the last phase before it stops. */
const PER_PHASE = 5;
const LAST_PHASE = 20;
// Every version dies at once on SIGTERM (`abrupt`), so only the router's switch and drain keep requests whole.
const web = (version: number, quantity = 1) => ({ type: 'web', command: `node server.js v${version} abrupt`, quantity });

/** One answer or failure; `phase` is how many steps had completed when the request was sent. */
interface Outcome { phase: number; body?: string; failure?: string; reused?: boolean }

/** A change made under load, and what every answer to a request sent after it completed must look like. */
interface Step { name: string; run: (h: Harness) => Promise<void>; expect: RegExp; until?: (all: Outcome[]) => boolean }

/** One GET through the router, on the client's keep-alive agent or, with agent false, on a new connection. */
function get(port: number, agent: http.Agent | false, phase: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const headers = agent ? { host } : { host, connection: 'close' };
    const req = http.request({ host: '127.0.0.1', port, path: '/', headers, agent });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('error', (err) => resolve({ phase, failure: `response: ${err.message}` }));
      res.on('end', () => {
        if (res.statusCode === 200) resolve({ phase, body, reused: req.reusedSocket });
        else resolve({ phase, failure: `${res.statusCode}: ${body}` });
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ phase, failure: `socket: ${err.code ?? err.message}` }));
    req.end();
  });
}

/** Sends requests back to back until stop() says so. */
async function client(port: number, agent: http.Agent | false, phase: () => number, stop: () => boolean, out: Outcome[]): Promise<void> {
  while (!stop()) out.push(await get(port, agent, phase()));
}

const version = (body: string | undefined): number => Number(/^v(\d+) /.exec(body ?? '')?.[1] ?? NaN);

/** Runs the clients, takes each step once every client has PER_PHASE answers in the current phase, then checks. */
async function underLoad(t: TestContext, h: Harness, slug: string, keepAlive: boolean, steps: Step[]): Promise<{ outcomes: Outcome[][]; retired: number[] }> {
  await h.runtime.deploy(toRelease('myapp', slug, 1, [web(1)]), () => {});
  const agents = Array.from({ length: CLIENTS }, () => (keepAlive ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : false as const));
  t.after(() => { for (const a of agents) if (a) a.destroy(); });
  const outcomes: Outcome[][] = agents.map(() => []);
  const pids = new Set<number>();
  const notePids = () => { for (const s of h.runtime.status('myapp')) if (s.pid) pids.add(s.pid); };
  let phase = 0;
  const answered = (n: number) => outcomes.every((o) => o.filter((r) => r.phase === phase).length >= n);
  const last = steps.length;
  let aborted = false;
  const done = (i: number) => aborted || (phase === last && outcomes[i]!.filter((r) => r.phase === last).length >= LAST_PHASE);
  const loops = agents.map((agent, i) => client(h.routerPort, agent, () => phase, () => done(i), outcomes[i]!));
  try {
    for (const step of steps) {
      await waitFor(`${PER_PHASE} answers per client before ${step.name}`, () => answered(PER_PHASE));
      notePids();
      await step.run(h);
      phase += 1;
      notePids();
      if (step.until) await waitFor(`what ${step.name} brings`, () => step.until!(outcomes.flat()));
    }
  } catch (err) {
    aborted = true; // a step failed or timed out: the clients stop before the harness stops the app under them
    throw err;
  } finally {
    await Promise.all(loops);
  }
  const live = new Set(h.runtime.status('myapp').map((s) => s.pid));
  return { outcomes, retired: [...pids].filter((pid) => !live.has(pid)) };
}

/** The assertions both variants share: no failure, answers of their phase, versions in order per client, old processes gone. */
function check(outcomes: Outcome[][], steps: Step[], retiredPids: number[]): void {
  const failures = outcomes.flatMap((o, i) => o.filter((r) => r.failure).map((r) => `client ${i}, phase ${r.phase}: ${r.failure}`));
  assert.deepEqual(failures, [], 'no request fails during the deploys');
  const expect = [/^v1 web\.1$/, ...steps.map((s) => s.expect)];
  for (const [i, o] of outcomes.entries()) {
    // Sent in phase p: the step that ended phase p-1 is in force, and the next step (p) may already have switched.
    const wrong = o.filter((r) => ![expect[r.phase], expect[r.phase + 1]].some((e) => e?.test(r.body ?? '')));
    assert.deepEqual(wrong, [], `client ${i}: a request sent after a step completed is never answered by what it replaced`);
    const versions = o.map((r) => version(r.body));
    const backwards = versions.findIndex((v, k) => k > 0 && v < versions[k - 1]!);
    assert.equal(backwards, -1, `client ${i} saw v${versions[backwards - 1]} then v${versions[backwards]}`);
    assert.deepEqual([...new Set(versions)], [1, 2, 3], `client ${i} saw v1, v2 and v3`);
  }
  assert.ok(retiredPids.length >= 2, 'v1 and v2 were replaced');
  assert.deepEqual(retiredPids.filter((pid) => isAlive(pid)), [], 'every replaced process has stopped');
}

const deploy = (slug: string, v: number): Step => ({
  name: `deploying v${v}`,
  expect: new RegExp(`^v${v} web\\.1$`),
  run: (h) => h.runtime.deploy(toRelease('myapp', slug, v, [web(v)]), () => {}),
});

const scale = (quantity: number, expect: RegExp, until?: Step['until']): Step => ({
  name: `scaling web to ${quantity}`,
  expect,
  until,
  run: (h) => h.runtime.scale('myapp', { web: quantity }),
});

test('keep-alive clients: deploys of v2 and v3, then scaling web 1 -> 2 -> 1, drop no request and keep versions in order', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t);
  const steps = [
    deploy(slug, 2),
    deploy(slug, 3),
    // Both instances must have answered before web.2 is retired again, or the scale-down would prove nothing.
    scale(2, /^v3 web\.[12]$/, (all) => all.some((r) => r.body === 'v3 web.2')),
    scale(1, /^v3 web\.1$/),
  ];
  const { outcomes, retired } = await underLoad(t, h, slug, true, steps);
  check(outcomes, steps, retired);
  assert.ok(retired.length >= 3, 'v1, v2 and v3 web.2 were retired');
  assert.deepEqual(h.runtime.status('myapp').map((s) => [s.version, s.type, s.index, s.state]), [[3, 'web', 1, 'up']]);
  const all = outcomes.flat();
  assert.ok(all.filter((r) => r.reused).length > all.length / 2, 'the clients kept their connections alive across requests');
});

test('Connection: close clients: deploys of v2 and v3 drop no request and keep versions in order', { timeout: 30_000 }, async (t) => {
  const h = await startHarness(t);
  const slug = await makeSlug(t);
  const steps = [deploy(slug, 2), deploy(slug, 3)];
  const { outcomes, retired } = await underLoad(t, h, slug, false, steps);
  check(outcomes, steps, retired);
  assert.deepEqual(h.runtime.status('myapp').map((s) => [s.version, s.type, s.index, s.state]), [[3, 'web', 1, 'up']]);
});
