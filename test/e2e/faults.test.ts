// test/e2e/faults.test.ts — the production backbone under faults, with the real git and ssh: the controller killed
// (once, twice) mid-build, gitd killed mid-push, the client gone mid-build, the same work item delivered twice,
// malformed and out-of-order work items, a push lock whose holder died, SIGTERM mid-push; then NATS restarted
// mid-build and down at push time, PostgreSQL restarted mid-build, and the embedded bus's platform killed
// mid-build. Leases are short here (PAAS_LEASE_SECONDS), so crashed work is taken over fast.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import {
  createUser, fixtureRepo, getApp, git, httpRemote, remoteLines, sshRemote, startPlatform, tempDir, type Platform, type TestUser,
} from '../support/platform.ts';
import { commitAll, createApp, livePush, pushOutput, remoteRefs, revOf, stopPlatform } from '../support/push.ts';
import { startProcfile, type ProcfilePlatform } from '../support/procfile.ts';
import { bareRef, finished, fsckProblems, platformDb, pushState, settled } from '../support/faults.ts';
import { startNatsServer, startPrivatePostgres, type Server } from '../support/servers.ts';
import { waitFor } from '../support/wait.ts';
import { withoutIds } from '../support/first-line.ts';

const skip = !process.env.DATABASE_URL || !process.env.NATS_URL ? 'needs DATABASE_URL and NATS_URL (.ci/run sets them)' : false;
const LEASE_SECONDS = '3';
/** The resumed build's first line, which names the build id and its (new) trace. */
const isResumed = (l: string) => /^-----> The controller restarted during this build; building again from the start \(build id [0-9a-f-]{36}(, trace [0-9a-f]{32})?\)$/.test(l);
const stepOne = /^remote:\s+step one\s*$/;

const live = (p: Platform, app: string, v: number) => `-----> v${v} is live at http://${app}.localhost:${p.routerPort}/`;

/** Waits until the push of `rev` has ended in the database (build failed, or its release succeeded or failed). */
async function settledState(db: Knex, app: string, rev: string, timeoutMs = 90_000) {
  return waitFor(async () => { const s = await pushState(db, app, rev); return settled(s) ? s : undefined; }, timeoutMs, `the push of ${rev.slice(0, 7)} to ${app} to settle`);
}

/** Copies an outbox row (a work item sent earlier) so the relay sends it again, under a new id JetStream won't de-duplicate. */
async function resend(db: Knex, subject: string, match: (payload: Record<string, unknown>) => boolean): Promise<void> {
  const rows = await db('outbox').where({ subject }).orderBy('id').select('payload');
  const row = rows.find((r) => match(r.payload));
  assert.ok(row, `no ${subject} in the outbox matches`);
  await db('outbox').insert({ subject, payload: JSON.stringify(row.payload) });
  await db.raw("SELECT pg_notify('paas_outbox', '')");
}

const count = async (db: Knex, table: 'builds' | 'releases', app: string) =>
  Number((await db(table).join('apps', 'apps.id', `${table}.app_id`).where('apps.name', app).count<{ n: string }[]>('* as n'))[0]!.n);

describe('web, gitd and controller as separate processes, one of them killed mid-push', { skip }, () => {
  let p: ProcfilePlatform;
  let db: Knex;
  let dir: string;
  let alice: TestUser;

  before(async () => {
    dir = tempDir();
    p = await startProcfile({ env: { PAAS_LEASE_SECONDS: LEASE_SECONDS } });
    alice = await createUser(p, 'alice@example.com', dir);
    db = await platformDb(p);
  });

  after(async () => {
    await db?.destroy();
    await stopPlatform(p, dir);
  });

  test('controller kill -9 mid-build: the restarted controller resumes the build, and the push says so and deploys', async () => {
    await createApp(p, 'crash-once', alice.email);
    const repo = await fixtureRepo('node-slow-build', dir);
    const rev = await revOf(repo, 'HEAD');
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'crash-once'), 'main');
    await push.waitForLine(stepOne);
    await p.procs.controller.kill();
    await p.procs.controller.restart();
    const done = await finished(push);
    assert.equal(done.code, 0, pushOutput(done));
    const lines = remoteLines(done.stderr);
    assert.equal(lines.filter(isResumed).length, 1, lines.join('\n'));
    assert.ok(lines.findIndex(isResumed) > lines.findIndex((l) => /^\s+step one$/.test(l)), 'the resume is announced after the interrupted output');
    assert.equal(lines.at(-1), live(p, 'crash-once', 1));
    assert.deepEqual(await getApp(p, 'crash-once'), { status: 200, body: 'Hello from node, release v1\n' });
    assert.equal(await bareRef(p, 'crash-once'), rev);
    assert.equal(await count(db, 'builds', 'crash-once'), 1);
    assert.equal(await count(db, 'releases', 'crash-once'), 1);
  });

  test('controller killed and restarted twice during one push: resumed twice, one build, one release', async () => {
    await createApp(p, 'crash-twice', alice.email);
    const repo = await fixtureRepo('node-slow-build', dir);
    const rev = await revOf(repo, 'HEAD');
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'crash-twice'), 'main');
    await push.waitForLine(stepOne);
    await p.procs.controller.kill();
    await p.procs.controller.restart();
    await waitFor(() => push.lines.filter((l) => stepOne.test(l.line)).length >= 2, 60_000, 'the resumed build to print "step one" again');
    await p.procs.controller.kill();
    await p.procs.controller.restart();
    const done = await finished(push);
    assert.equal(done.code, 0, pushOutput(done));
    const lines = remoteLines(done.stderr);
    assert.equal(lines.filter(isResumed).length, 2, lines.join('\n'));
    assert.equal(lines.at(-1), live(p, 'crash-twice', 1));
    assert.deepEqual(await getApp(p, 'crash-twice'), { status: 200, body: 'Hello from node, release v1\n' });
    assert.equal(await bareRef(p, 'crash-twice'), rev);
    assert.equal(await count(db, 'builds', 'crash-twice'), 1);
    assert.equal(await count(db, 'releases', 'crash-twice'), 1);
  });

  test('gitd kill -9 mid-push: the push fails, the build and deploy go on, fsck is clean, and the ref moves once the deploy succeeded', async () => {
    await createApp(p, 'gitd-dies', alice.email);
    const repo = await fixtureRepo('node-slow-build', dir);
    const rev = await revOf(repo, 'HEAD');
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'gitd-dies'), 'main');
    await push.waitForLine(stepOne);
    await p.procs.gitd.kill();
    const done = await finished(push);
    assert.notEqual(done.code, 0, pushOutput(done));
    await p.procs.gitd.restart();
    const state = await settledState(db, 'gitd-dies', rev);
    assert.equal(state.release?.status, 'succeeded', JSON.stringify(state));
    assert.equal(await fsckProblems(p, 'gitd-dies'), undefined);
    await waitFor(async () => await bareRef(p, 'gitd-dies') === rev, 30_000, 'the ref to move to the deployed rev');
    assert.deepEqual(await getApp(p, 'gitd-dies'), { status: 200, body: 'Hello from node, release v1\n' });
  });

  test('gitd kill -9 during a push whose build fails: fsck is clean and the ref never moves', async () => {
    await createApp(p, 'gitd-dies-fail', alice.email);
    const repo = await fixtureRepo('node-build-fails', dir);
    const rev = await revOf(repo, 'HEAD');
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'gitd-dies-fail'), 'main');
    await push.waitForLine(/^remote: -----> Building/);
    await p.procs.gitd.kill();
    await finished(push);
    await p.procs.gitd.restart();
    const state = await settledState(db, 'gitd-dies-fail', rev);
    assert.equal(state.build?.status, 'failed', JSON.stringify(state));
    assert.equal(await fsckProblems(p, 'gitd-dies-fail'), undefined);
    assert.equal(await bareRef(p, 'gitd-dies-fail'), '', 'main must not exist: nothing was deployed');
  });

  for (const transport of ['ssh', 'http'] as const) {
    test(`client gone mid-build (${transport}): the build and deploy go on, builds:output follows and replays it, the ref moves`, async () => {
      const app = `gone-${transport}`;
      await createApp(p, app, alice.email);
      const repo = await fixtureRepo('node-slow-env', dir);
      const rev = await revOf(repo, 'HEAD');
      const remote = transport === 'ssh' ? sshRemote(p, app) : httpRemote(p, app, alice.token);
      const push = livePush(repo, alice.sshEnv, 'push', remote, 'main');
      await push.waitForLine(/^remote:\s+building part 1 of 6\s*$/);
      push.interrupt();
      await finished(push);
      assert.equal(settled(await pushState(db, app, rev)), false, 'the build should still be running');
      const output = await p.cli(['builds:output', app]); // follows the running build until its deploy ends
      assert.equal(output.code, 0, output.stderr);
      const replay = output.stdout.trimEnd().split('\n');
      assert.equal(withoutIds(replay[0]!), `-----> Building ${app} (build 1) from main at ${rev.slice(0, 7)}`);
      assert.deepEqual(replay.filter((l) => /building part/.test(l)), [1, 2, 3, 4, 5, 6].map((n) => `       building part ${n} of 6`));
      assert.equal(replay.at(-1), live(p, app, 1));
      assert.equal((await pushState(db, app, rev)).release?.status, 'succeeded');
      assert.deepEqual(await getApp(p, app), { status: 200, body: 'release v1, code 0, greeting (unset)\n' });
      await waitFor(async () => (await remoteRefs(repo, alice.sshEnv, remote))['refs/heads/main'] === rev, 20_000, 'git ls-remote to show the deployed rev');
      assert.equal(await fsckProblems(p, app), undefined);
    });
  }

  test('the same push.received and release.created delivered twice (once mid-build): one build, one release', async () => {
    await createApp(p, 'dupes', alice.email);
    const repo = await fixtureRepo('node-slow-build', dir);
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'dupes'), 'main');
    await push.waitForLine(stepOne);
    await resend(db, 'paas.push.received', (x) => x.app === 'dupes');
    const done = await finished(push);
    assert.equal(done.code, 0, pushOutput(done));
    await resend(db, 'paas.push.received', (x) => x.app === 'dupes');
    await resend(db, 'paas.release.created', (x) => x.app === 'dupes');
    // Each copy is sent, then taken by the controller's consumers and acked.
    await waitFor(async () => Number((await db('outbox').whereNull('published_at').count<{ n: string }[]>('* as n'))[0]!.n) === 0, 10_000, 'the copies to be sent');
    await waitFor(async () => await workSettled(p), 30_000, 'the controller to ack every work item');
    assert.equal(await count(db, 'builds', 'dupes'), 1);
    assert.equal(await count(db, 'releases', 'dupes'), 1);
    assert.deepEqual(await getApp(p, 'dupes'), { status: 200, body: 'Hello from node, release v1\n' });
    const buildLines = (await p.cli(['builds:output', 'dupes'])).stdout;
    assert.equal(buildLines.match(/-----> Building dupes/g)?.length, 1, buildLines);
  });

  test('malformed work items sent to the controller are rejected and recorded in dead_letters; pushes still flow', async () => {
    const { connect } = await import('@nats-io/transport-node');
    const { jetstream } = await import('@nats-io/jetstream');
    const nc = await connect({ servers: p.env.NATS_URL! });
    try {
      const js = jetstream(nc);
      await js.publish(`${p.prefix}.paas.push.received`, 'not json at all');
      await js.publish(`${p.prefix}.paas.push.received`, JSON.stringify({ v: 1, app: 'dupes', buildId: 'x' }));
      await js.publish(`${p.prefix}.paas.release.created`, JSON.stringify({ v: 9, releaseId: 1, app: 'dupes', version: 1, source: 'push', description: 'd' }));
    } finally {
      await nc.close();
    }
    const dead = await waitFor(async () => {
      // Work items are handled side by side, so dead letters land in any order: compare them sorted.
      const rows = await db('dead_letters').orderBy(['subject', 'reason']).select('subject', 'reason');
      return rows.length >= 4 ? rows : undefined;
    }, 15_000, 'four dead letters');
    assert.deepEqual(dead, [
      { subject: 'paas.push.received', reason: 'malformed: payload is not JSON' },
      { subject: 'paas.push.received', reason: 'malformed: ref is missing; oldRev is missing; newRev is missing; userId is missing; archivePath is missing' },
      // paas.release.created has two durable consumers (the deployer's and the outgoing webhooks'): each rejects it.
      { subject: 'paas.release.created', reason: 'malformed: v must be 1' },
      { subject: 'paas.release.created', reason: 'malformed: v must be 1' },
    ]);
    await createApp(p, 'after-poison', alice.email);
    const repo = await fixtureRepo('node', dir);
    const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'after-poison'), 'main');
    assert.equal(push.code, 0, pushOutput(push));
  });

  test('an older release.created after a newer release is live is not deployed: it fails as superseded', async () => {
    const app = (await db('apps').where({ name: 'dupes' }).first()) as { id: number; current_release_id: number };
    const v1 = await db('releases').where({ id: app.current_release_id }).first();
    // v2 is created but its work item is late; v3 (config:set) goes live first.
    const [v2] = await db('releases').insert({
      app_id: app.id, version: 2, build_id: v1.build_id, config: JSON.stringify({}), description: 'late', status: 'pending',
    }).returning('*');
    const set = await p.cli(['config:set', 'dupes', 'GREETING=hi']);
    assert.equal(set.code, 0, set.stderr + set.stdout);
    assert.match(set.stdout, /v3/);
    await db('outbox').insert({
      subject: 'paas.release.created',
      payload: JSON.stringify({ v: 1, releaseId: v2.id, app: 'dupes', version: 2, buildId: v1.build_id, source: 'config', description: 'late' }),
    });
    await db.raw("SELECT pg_notify('paas_outbox', '')");
    const late = await waitFor(async () => {
      const r = await db('releases').where({ id: v2.id }).first('status', 'error');
      return r.status === 'failed' ? r : undefined;
    }, 20_000, 'v2 to be refused');
    assert.match(late.error, /superseded by v3/);
    assert.equal((await db('apps').where({ name: 'dupes' }).first()).current_release_id, (await db('releases').where({ app_id: app.id, version: 3 }).first()).id);
    assert.deepEqual(await getApp(p, 'dupes'), { status: 200, body: 'Hello from node, release v3\n' });
  });

  test('a push lock held by a killed gitd refuses pushes until its lease expires; then a push goes through', async () => {
    await createApp(p, 'lock-lease', alice.email);
    const repo = await fixtureRepo('node-slow-env', dir);
    const first = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'lock-lease'), 'main');
    await first.waitForLine(/^remote:\s+building part 1 of 6\s*$/);
    fs.writeFileSync(path.join(repo, 'mark.txt'), '2\n');
    const rev2 = await commitAll(repo, 'second');
    await p.procs.gitd.kill();
    // At once, over HTTP (the web process is up): the dead gitd's lease still holds the lock.
    const refused = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'lock-lease', alice.token), 'main');
    assert.notEqual(refused.code, 0, pushOutput(refused));
    assert.match(refused.stderr, /Another push to lock-lease is in progress; wait for it to finish, then push again/);
    await finished(first);
    await p.procs.gitd.restart();
    await waitFor(async () => !(await db('push_locks').where({ app: 'lock-lease' }).where('expires_at', '>', db.fn.now()).first()), 30_000, 'the lease to expire');
    const second = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'lock-lease'), 'main');
    assert.equal(second.code, 0, pushOutput(second));
    assert.equal(await bareRef(p, 'lock-lease'), rev2);
    assert.match((await getApp(p, 'lock-lease')).body, /code 2,/);
  });
});

describe('web, gitd and controller as separate processes, stopped with SIGTERM mid-push', { skip }, () => {
  let p: ProcfilePlatform;
  let dir: string;
  let alice: TestUser;

  before(async () => {
    dir = tempDir();
    p = await startProcfile({ env: { PAAS_LEASE_SECONDS: LEASE_SECONDS } });
    alice = await createUser(p, 'alice@example.com', dir);
  });

  after(() => stopPlatform(p, dir));

  test('SIGTERM to the controller mid-build: it finishes the build, exits 0, and once restarted deploys it; the push ends well', async () => {
    await createApp(p, 'term-controller', alice.email);
    const repo = await fixtureRepo('node-slow-env', dir);
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'term-controller'), 'main');
    await push.waitForLine(/^remote:\s+building part 1 of 6\s*$/);
    assert.equal(await p.procs.controller.signal('SIGTERM'), 0, p.procs.controller.output());
    await p.procs.controller.restart();
    const done = await finished(push);
    assert.equal(done.code, 0, pushOutput(done));
    const lines = remoteLines(done.stderr);
    assert.ok(lines.includes('-----> Build 1 succeeded'), lines.join('\n'));
    assert.ok(!lines.some(isResumed), 'the build was finished before the controller exited, not resumed');
    assert.equal(lines.at(-1), live(p, 'term-controller', 1));
  });

  test('SIGTERM to gitd mid-push: the push finishes before gitd exits 0', async () => {
    await createApp(p, 'term-gitd', alice.email);
    const repo = await fixtureRepo('node-slow-env', dir);
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'term-gitd'), 'main');
    await push.waitForLine(/^remote:\s+building part 1 of 6\s*$/);
    const exited = p.procs.gitd.signal('SIGTERM');
    const done = await finished(push);
    assert.equal(done.code, 0, pushOutput(done));
    assert.equal(remoteLines(done.stderr).at(-1), live(p, 'term-gitd', 1));
    assert.equal(await exited, 0, p.procs.gitd.output());
    await p.procs.gitd.restart();
  });
});

/** True when the controller's durable consumers have nothing pending or unacked. */
async function workSettled(p: ProcfilePlatform): Promise<boolean> {
  const { connect } = await import('@nats-io/transport-node');
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const nc = await connect({ servers: p.env.NATS_URL! });
  try {
    const jsm = await jetstreamManager(nc);
    const stream = await jsm.streams.find(`${p.prefix}.paas.push.received`);
    for await (const c of jsm.consumers.list(stream)) {
      if (c.num_pending > 0 || c.num_ack_pending > 0) return false;
    }
    return true;
  } finally {
    await nc.close();
  }
}

describe('all in one process, on a NATS of its own that goes away', { skip }, () => {
  let nats: Server;
  let p: Platform;
  let db: Knex;
  let dir: string;
  let alice: TestUser;

  before(async () => {
    dir = tempDir();
    nats = await startNatsServer();
    p = await startPlatform({ env: { NATS_URL: nats.url, PAAS_SUBJECT_PREFIX: `fn${path.basename(dir).slice(-6)}`, PAAS_LEASE_SECONDS: LEASE_SECONDS } });
    alice = await createUser(p, 'alice@example.com', dir);
    db = await platformDb(p);
  });

  after(async () => {
    await db?.destroy();
    await stopPlatform(p, dir);
    await nats?.destroy();
  });

  test('NATS restarted mid-build: the build goes on and the push still gets its verdict', async () => {
    await createApp(p, 'nats-blip', alice.email);
    const repo = await fixtureRepo('node-slow-env', dir);
    const rev = await revOf(repo, 'HEAD');
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'nats-blip'), 'main');
    await push.waitForLine(/^remote:\s+building part 1 of 6\s*$/);
    await nats.restart();
    const done = await finished(push);
    assert.equal(done.code, 0, pushOutput(done));
    assert.equal(remoteLines(done.stderr).at(-1), live(p, 'nats-blip', 1));
    assert.deepEqual(await getApp(p, 'nats-blip'), { status: 200, body: 'release v1, code 0, greeting (unset)\n' });
    assert.equal(await bareRef(p, 'nats-blip'), rev);
    const replay = (await p.cli(['builds:output', 'nats-blip'])).stdout.split('\n');
    assert.deepEqual(replay.filter((l) => /building part/.test(l)).length, 6, 'the build log is whole, lines sent while NATS was away included');
  });

  test('NATS down at push time: the push is refused at once, saying why, and goes through once NATS is back', async () => {
    await createApp(p, 'nats-down', alice.email);
    const repo = await fixtureRepo('node', dir);
    const rev = await revOf(repo, 'HEAD');
    const mark = p.output().length;
    await nats.stop();
    await waitFor(() => p.output().slice(mark).includes('NATS disconnected'), 10_000, 'the platform to notice NATS is gone');
    const started = Date.now();
    const refused = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'nats-down'), 'main');
    assert.notEqual(refused.code, 0, pushOutput(refused));
    assert.ok(Date.now() - started < 10_000, 'refused at once');
    assert.deepEqual(remoteLines(refused.stderr), [" !     The platform's event bus (NATS) is unreachable, so nothing was deployed; try again in a moment"]);
    assert.equal(await bareRef(p, 'nats-down'), '');
    assert.equal(await count(db, 'builds', 'nats-down'), 0);
    await nats.start();
    // Pushes are refused, quickly, until the platform has reconnected.
    const push = await waitFor(async () => {
      const r = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'nats-down'), 'main');
      return r.stderr.includes('(NATS) is unreachable') ? undefined : r;
    }, 20_000, 'a push that is not refused for NATS');
    assert.equal(push.code, 0, pushOutput(push));
    assert.equal(await bareRef(p, 'nats-down'), rev);
  });
});

describe('all in one process, on a PostgreSQL of its own that restarts', { skip }, () => {
  let pgServer: Server;
  let p: Platform;
  let db: Knex;
  let dir: string;
  let alice: TestUser;

  before(async () => {
    dir = tempDir();
    pgServer = await startPrivatePostgres();
    p = await startPlatform({ env: { DATABASE_URL: pgServer.url, NATS_URL: process.env.NATS_URL, PAAS_SUBJECT_PREFIX: `fp${path.basename(dir).slice(-6)}`, PAAS_LEASE_SECONDS: LEASE_SECONDS } });
    alice = await createUser(p, 'alice@example.com', dir);
    db = await platformDb(p);
  });

  after(async () => {
    await db?.destroy();
    await stopPlatform(p, dir);
    await pgServer?.destroy();
  });

  test('PostgreSQL restarted mid-build: the push gets its verdict and deploys, the stored log is whole, and a next push works', async () => {
    await createApp(p, 'pg-blip', alice.email);
    const repo = await fixtureRepo('node-slow-env', dir);
    const rev = await revOf(repo, 'HEAD');
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'pg-blip'), 'main');
    await push.waitForLine(/^remote:\s+building part 1 of 6\s*$/);
    // Down for a second or so: the build goes on, and its lines reach the push over NATS meanwhile.
    await pgServer.stop();
    await push.waitForLine(/^remote:\s+building part 3 of 6\s*$/);
    await pgServer.start();
    const done = await finished(push);
    assert.equal(done.code, 0, pushOutput(done));
    assert.equal(remoteLines(done.stderr).at(-1), live(p, 'pg-blip', 1));
    assert.deepEqual(await getApp(p, 'pg-blip'), { status: 200, body: 'release v1, code 0, greeting (unset)\n' });
    assert.equal(await bareRef(p, 'pg-blip'), rev);
    const replay = (await p.cli(['builds:output', 'pg-blip'])).stdout.trimEnd().split('\n');
    assert.deepEqual(replay.filter((l) => /building part/.test(l)).length, 6, `the stored log lost lines:\n${replay.join('\n')}`);
    assert.equal(replay.at(-1), live(p, 'pg-blip', 1));
    fs.writeFileSync(path.join(repo, 'mark.txt'), '1\n');
    await commitAll(repo, 'next');
    const next = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'pg-blip'), 'main');
    assert.equal(next.code, 0, pushOutput(next));
    assert.deepEqual(await getApp(p, 'pg-blip'), { status: 200, body: 'release v2, code 1, greeting (unset)\n' });
  });
});

describe('all in one process on the in-process bus (no NATS), killed mid-build', { skip: !process.env.DATABASE_URL && 'needs DATABASE_URL' }, () => {
  let p: Platform;
  let db: Knex;
  let dir: string;
  let alice: TestUser;

  before(async () => {
    dir = tempDir();
    p = await startPlatform({ env: { NATS_URL: '' } });
    alice = await createUser(p, 'alice@example.com', dir);
    db = await platformDb(p);
  });

  after(async () => {
    await db?.destroy();
    await stopPlatform(p, dir);
  });

  test('kill -9 mid-build: the push dies with the process; on restart the build is failed with a clear reason at once', async () => {
    await createApp(p, 'embedded-crash', alice.email);
    const repo = await fixtureRepo('node-slow-env', dir);
    const rev = await revOf(repo, 'HEAD');
    const push = livePush(repo, alice.sshEnv, 'push', sshRemote(p, 'embedded-crash'), 'main');
    await push.waitForLine(/^remote:\s+building part 1 of 6\s*$/);
    await p.kill();
    assert.notEqual((await finished(push)).code, 0);
    p = await startPlatform({ dataDir: p.dataDir, schema: p.env.PAAS_DB_SCHEMA, env: { NATS_URL: '' } });
    // The build's lease has not lapsed yet, but nothing else can hold it: the restart fails it at once.
    const state = await pushState(db, 'embedded-crash', rev);
    assert.equal(state.build?.status, 'failed');
    assert.equal(state.build?.error, 'The platform restarted during this build; push again');
    assert.equal(await bareRef(p, 'embedded-crash'), '');
    const builds = await p.cli(['builds', 'embedded-crash']);
    assert.match(builds.stdout, /failed/);
  });
});
