// test/e2e/fault-injection.test.ts — pushes under random crashes: two lanes of pushes (one over SSH, one over HTTP, to
// two apps; every third push's build fails) run while the controller and gitd are killed -9 at random points and
// restarted. Every push is then classified, and none may be lost. FAULT_SEED replays a run; FAULT_PUSHES sets how
// many pushes each lane makes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { createUser, fixtureRepo, getApp, httpRemote, remoteLines, sshRemote, tempDir, type TestUser } from '../support/platform.ts';
import { commitAll, createApp, livePush, stopPlatform } from '../support/push.ts';
import { startProcfile, type ProcfilePlatform, type ProcName } from '../support/procfile.ts';
import { bareRef, finished, fsckProblems, platformDb, pushState, settled } from '../support/faults.ts';
import { waitFor } from '../support/wait.ts';

const skip = !process.env.DATABASE_URL || !process.env.NATS_URL ? 'needs DATABASE_URL and NATS_URL (.ci/run sets them)' : false;
const PUSHES_PER_LANE = Number(process.env.FAULT_PUSHES) || 4;
const SEED = Number(process.env.FAULT_SEED) || Date.now() % 1_000_000;

type Verdict = 'deployed' | 'failed cleanly' | 'cut off' | 'lost';
interface Outcome { lane: string; n: number; verdict: Verdict; why: string }

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with FAULT_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Lane { name: string; app: string; repo: string; remote: () => string }

/**
 * Judges one push once its work has settled. deployed: exit 0, its release went live, the app serves its code and the
 * ref points at it. failed cleanly: non-zero with a reason from the platform (` !     ` or git's `remote error:`), and
 * the ref moved only if it deployed. cut off: the connection to gitd died under it (no reason could be printed), and
 * the platform's state is consistent: the ref moved if and only if the push deployed. Anything else is lost.
 */
async function judge(p: ProcfilePlatform, db: Knex, lane: Lane, mark: string, rev: string, code: number | 'hung', stderr: string): Promise<[Verdict, string]> {
  if (code === 'hung') return ['lost', 'the push hung'];
  const state = await waitFor(async () => {
    const s = await pushState(db, lane.app, rev);
    if (!s.build) return { ...s, none: true }; // never reached the controller
    return settled(s) ? { ...s, none: false } : undefined;
  }, 90_000, `the work of ${lane.name} ${mark} to settle`).catch(() => undefined);
  if (!state) return ['lost', 'its build or deploy never ended'];
  const deployed = state.release?.status === 'succeeded';
  // The ref must follow the deploy; a push cut off mid-way has it moved by gitd's reconciler within a few seconds.
  const refOk = await waitFor(async () => (await bareRef(p, lane.app) === rev) === deployed, 30_000, 'the ref to match the deploy').then(() => true, () => false);
  if (code === 0) {
    if (!deployed) return ['lost', `exit 0 but its release is ${state.release?.status ?? 'missing'}`];
    if (!refOk) return ['lost', 'exit 0 but the ref does not point at it'];
    const serves = await waitFor(async () => (await getApp(p, lane.app)).body.includes(`code ${mark},`), 30_000, 'the app to serve it').then(() => true, () => false);
    return serves ? ['deployed', `v${state.release!.version}`] : ['lost', 'exit 0 but the app does not serve it'];
  }
  if (!refOk) return ['lost', deployed ? 'it deployed but the ref never moved' : 'the ref moved but it did not deploy'];
  const reason = remoteLines(stderr).find((l) => l.startsWith(' !     ')) ?? stderr.split('\n').find((l) => /remote error:/.test(l));
  if (reason) return ['failed cleanly', reason.trim()];
  const why = state.none ? 'gitd was down or died before the push reached the controller' : `gitd died under it; it ${deployed ? 'deployed later and its ref moved' : 'did not deploy; its ref stayed'}`;
  const said = stderr.split('\n').find((l) => l.trim() && !/^(remote:|To |error: failed to push)/.test(l))?.trim();
  return ['cut off', `${why}; git said: ${said ?? '(nothing)'}`];
}

/** One lane: pushes one after the other, each a new commit with its own mark. */
async function runLane(p: ProcfilePlatform, db: Knex, lane: Lane, user: TestUser, outcomes: Outcome[]): Promise<void> {
  for (let n = 1; n <= PUSHES_PER_LANE; n++) {
    const mark = `${lane.name}-${n}`;
    fs.writeFileSync(path.join(lane.repo, 'mark.txt'), `${mark}\n`);
    // Every third push has a build that fails (the fixture's build fails when FAIL is in the tree).
    if (n % 3 === 0) fs.writeFileSync(path.join(lane.repo, 'FAIL'), '');
    else fs.rmSync(path.join(lane.repo, 'FAIL'), { force: true });
    const rev = await commitAll(lane.repo, mark);
    await waitFor(() => p.procs.gitd.running() && p.procs.web.running(), 30_000, 'gitd and web to be up');
    const push = livePush(lane.repo, user.sshEnv, 'push', lane.remote(), 'main');
    const result = await finished(push, 120_000).catch(() => undefined);
    const [verdict, why] = await judge(p, db, lane, mark, rev, result ? result.code : 'hung', result?.stderr ?? '');
    outcomes.push({ lane: lane.name, n, verdict, why });
    if (verdict !== 'deployed') process.stderr.write(`${verdict.toUpperCase()} ${mark}:\n${result?.stderr ?? '(hung)'}\n`);
    // A push cut off while its build ran holds the push lock until its lease lapses: let it, as a user would.
    await waitFor(async () => !(await db('push_locks').where({ app: lane.app }).where('expires_at', '>', db.fn.now()).first()), 30_000, 'the push lock to be free');
  }
}

/**
 * Kills the controller or gitd at random moments (every 1.5 to 5 s), restarting each within a second, until stopped.
 * The waits here are the fault schedule itself, drawn from the seeded PRNG, not waits for a condition.
 */
function startKiller(p: ProcfilePlatform, random: () => number, log: string[]): { stop(): Promise<void> } {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      await new Promise((r) => setTimeout(r, 1500 + random() * 3500));
      if (stopped) break;
      const name: ProcName = random() < 0.5 ? 'controller' : 'gitd';
      log.push(`${new Date().toISOString().slice(11, 23)} kill -9 ${name}`);
      await p.procs[name].kill();
      await new Promise((r) => setTimeout(r, random() * 1000));
      await p.procs[name].restart();
    }
  })();
  return { async stop() { stopped = true; await loop; } };
}

test('pushes while the controller and gitd are killed -9 at random: each deploys, fails cleanly or is cut off consistently; none is lost', { skip, timeout: 300_000 }, async (t) => {
  const dir = tempDir();
  const p = await startProcfile({ env: { PAAS_LEASE_SECONDS: '3' } });
  const db = await platformDb(p);
  t.after(async () => { await db.destroy(); await stopPlatform(p, dir); });
  const alice = await createUser(p, 'alice@example.com', dir);
  const lanes: Lane[] = [];
  for (const [name, transport] of [['ssh', 'ssh'], ['http', 'http']] as const) {
    const app = `chaos-${name}`;
    await createApp(p, app, alice.email);
    const repo = await fixtureRepo('node-slow-env', dir);
    lanes.push({ name, app, repo, remote: () => (transport === 'ssh' ? sshRemote(p, app) : httpRemote(p, app, alice.token)) });
  }
  const random = prng(SEED);
  const kills: string[] = [];
  const outcomes: Outcome[] = [];
  const started = Date.now();
  const killer = startKiller(p, random, kills);
  try {
    await Promise.all(lanes.map((lane) => runLane(p, db, lane, alice, outcomes)));
  } finally {
    await killer.stop();
  }
  const tally = (v: Verdict) => outcomes.filter((o) => o.verdict === v).length;
  const report = [
    `fault injection (seed ${SEED}): ${outcomes.length} pushes in ${Math.round((Date.now() - started) / 1000)} s, ${kills.length} kills`,
    `  deployed: ${tally('deployed')}  failed cleanly: ${tally('failed cleanly')}  cut off (consistent): ${tally('cut off')}  lost: ${tally('lost')}`,
    ...outcomes.map((o) => `  ${o.lane}-${o.n}: ${o.verdict} (${o.why})`),
    `  kills: ${kills.join(', ')}`,
  ].join('\n');
  t.diagnostic(report);
  for (const lane of lanes) assert.equal(await fsckProblems(p, lane.app), undefined, `${lane.app}: git fsck`);
  assert.equal(tally('lost'), 0, report);
  assert.equal(outcomes.length, 2 * PUSHES_PER_LANE);
});
