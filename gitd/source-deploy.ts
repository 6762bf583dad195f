// gitd/source-deploy.ts — the consumer of paas.source.push (a verified webhook push, services/webhook-receive.ts):
// under the app's push lock, fetch the branch from the connected repository (source-fetch.ts), export its tree and
// hand it to the controller as paas.push.received — the same build, release and logs as a git push — then move the
// deploy branch once the release is live. The outcome is written on the delivery row the dashboard lists.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { appForActor } from '../core/access.ts';
import { getUserById } from '../core/accounts/users.ts';
import type { Bus } from '../core/bus.ts';
import { isPaasError, PaasError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { pushOutcome } from '../services/builds.ts';
import { acquirePushLock, type PushLease } from './push-lock.ts';
import { waitForOutcome } from './pre-receive.ts';
import { announceRefUpdated } from './ref-updated.ts';
import { ensureRepo, hasBranch } from './repos.ts';
import { fetchSource, revOf } from './source-fetch.ts';

const exec = promisify(execFile);
const ZERO = '0'.repeat(40);

export interface SourceDeployDeps {
  db: Knex; bus: Bus; dataDir: string; log: Logger; PATH: string; leaseSeconds: number;
  maxFetchBytes: number; fetchTimeoutMs?: number; lockWaitMs?: number;
  /** PAAS_GIT_SOURCES_ALLOW_PRIVATE: whether repositories on non-public addresses may be fetched (core/git-source-target.ts). */
  allowPrivate: boolean;
}

interface Job { deliveryId: number; app: string; repoUrl: string; branch: string; deployKey: string; userId: number }
interface Result { outcome: 'deployed' | 'failed'; detail: string; buildId?: string }

/** Defaults: how long a delivery waits for the app's push lock, and how long its fetch may take. */
const LOCK_WAIT_MS = 10 * 60_000;
const FETCH_TIMEOUT_MS = 10 * 60_000;
/** Room past the lock wait and the fetch timeout for the steps around them (repo checks, the clean-up). */
const STALE_MARGIN_MS = 2 * 60_000;

/** How long a delivery may stay `fetching` before it is settled as failed: the lock wait + the fetch timeout + margin. */
export function staleFetchMs(deps: Pick<SourceDeployDeps, 'lockWaitMs' | 'fetchTimeoutMs'>): number {
  return (deps.lockWaitMs ?? LOCK_WAIT_MS) + (deps.fetchTimeoutMs ?? FETCH_TIMEOUT_MS) + STALE_MARGIN_MS;
}

/** The deliveries this process is running: never settled by it, however long they take. */
const running = new Set<number>();

/**
 * Subscribes gitd to paas.source.push (a durable work consumer). An item is acked once its delivery is claimed and the
 * deploy runs on: one app's long build must not hold back the other apps' webhooks (the consumer is sequential).
 * Deliveries a stopped gitd left behind are settled at start and every minute, so one whose gitd died mid-fetch
 * shows failed at most staleFetchMs + 1 minute after it arrived. Returns the stop function.
 */
export function startSourceDeployer(deps: SourceDeployDeps): () => void {
  const settle = () => void settleInterrupted(deps.db, staleFetchMs(deps)).catch((err: unknown) => deps.log.warn({ err }, 'could not settle interrupted webhook deliveries'));
  settle();
  const timer = setInterval(settle, 60_000);
  timer.unref();
  const unsub = deps.bus.subscribe('paas.source.push', async (_s, p) => {
    const deliveryId = Number(p.deliveryId);
    if (!(await claim(deps.db, deliveryId))) return; // a redelivered item: its delivery is claimed already
    void runDelivery(deps, deliveryId, String(p.app)).catch((err: unknown) => deps.log.error({ err, app: p.app, deliveryId }, 'a webhook deploy could not record its outcome'));
  }, { durable: 'gitd-source-push' });
  return () => { clearInterval(timer); unsub(); };
}

/** Claims a queued delivery for this process; false when another took it (or it ran already). */
async function claim(db: Knex, deliveryId: number): Promise<boolean> {
  return (await db('webhook_deliveries').where({ id: deliveryId, outcome: 'queued' }).update({ outcome: 'fetching', detail: 'fetching the branch' })) > 0;
}

/** Claims and runs one queued delivery (tests call it directly); resolves once its outcome is recorded. */
export async function handleSourcePush(deps: SourceDeployDeps, deliveryId: number, app: string): Promise<void> {
  if (await claim(deps.db, deliveryId)) await runDelivery(deps, deliveryId, app);
}

async function runDelivery(deps: SourceDeployDeps, deliveryId: number, app: string): Promise<void> {
  running.add(deliveryId);
  try {
    const job = await jobOf(deps.db, deliveryId, app);
    const result = job ? await runJob(deps, job) : { outcome: 'failed' as const, detail: 'the app was disconnected from its repository before the fetch' };
    await deps.db('webhook_deliveries').where({ id: deliveryId }).update({ outcome: result.outcome, detail: result.detail.slice(0, 1000) });
  } finally {
    running.delete(deliveryId);
  }
}

/**
 * Deliveries whose gitd went away: a build that has ended gives its outcome (the ref reconciler moves the branch of
 * a deploy that went live); a fetch received longer ago than any fetch may last (`staleMs`), and not running in this
 * process, has failed. (A delivery held in the outbox by a bus outage counts that time too; should it be settled
 * while it still runs in another process, that run's outcome is written over it when it ends.)
 */
export async function settleInterrupted(db: Knex, staleMs: number): Promise<void> {
  const building = await db('webhook_deliveries').where({ outcome: 'building' }).whereNotNull('build_id').select('id', 'build_id') as Array<{ id: number; build_id: string }>;
  for (const d of building) {
    const outcome = await pushOutcome(db, d.build_id);
    if (outcome === 'running') continue;
    await db('webhook_deliveries').where({ id: d.id, outcome: 'building' }).update({
      outcome: outcome === 'succeeded' ? 'deployed' : 'failed', detail: outcome === 'succeeded' ? 'deployed (recorded after gitd restarted)' : 'the build or deploy failed; see the build output',
    });
  }
  const minutes = Math.round(staleMs / 60_000);
  await db('webhook_deliveries').where({ outcome: 'fetching' }).where('received_at', '<', db.raw('now() - make_interval(secs => ?)', [staleMs / 1000]))
    .whereNotIn('id', [...running])
    .update({ outcome: 'failed', detail: `no outcome ${minutes} minutes after the delivery (gitd stopped during the fetch); redeliver it from the Git host, or push again` });
}

async function jobOf(db: Knex, deliveryId: number, app: string): Promise<Job | undefined> {
  const row = await db('app_sources').join('apps', 'apps.id', 'app_sources.app_id').where('apps.name', app)
    .first('app_sources.repo_url', 'app_sources.branch', 'app_sources.deploy_key_private', 'app_sources.connected_by', 'apps.owner_id') as
    { repo_url: string; branch: string; deploy_key_private: string; connected_by: number | null; owner_id: number } | undefined;
  return row && { deliveryId, app, repoUrl: row.repo_url, branch: row.branch, deployKey: row.deploy_key_private, userId: row.connected_by ?? row.owner_id };
}

/** The job's verdict; PaasErrors are the user's to read, anything else is logged with a reference. */
async function runJob(deps: SourceDeployDeps, job: Job): Promise<Result> {
  try {
    await checkConnector(deps.db, job);
    return await deployJob(deps, job);
  } catch (err) {
    if (isPaasError(err)) return { outcome: 'failed', detail: err.message };
    const ref = crypto.randomUUID().slice(0, 8);
    deps.log.error({ err, app: job.app, ref }, 'a webhook deploy failed');
    return { outcome: 'failed', detail: `Internal error (reference ${ref})` };
  }
}

/**
 * A webhook deploy acts for the user who connected the repository: it runs only while they may still deploy the
 * app (a collaborator removed, a project member dropped, a disabled account: their repository deploys no more).
 */
async function checkConnector(db: Knex, job: Job): Promise<void> {
  const user = await getUserById(db, job.userId);
  const refusal = new PaasError('E_FORBIDDEN', `The user who connected ${job.app} to its repository may no longer deploy it (removed or disabled); someone with deploy access must run git:connect again`);
  if (!user || user.disabled) throw refusal;
  try {
    await appForActor(db, { kind: 'user', user }, job.app, 'deploy');
  } catch (err) {
    if (isPaasError(err)) throw refusal;
    throw err;
  }
}

/** Takes the push lock, waiting while a push holds it (a webhook has no one to tell to push again). */
async function lockWhenFree(deps: SourceDeployDeps, job: Job): Promise<PushLease> {
  const deadline = Date.now() + (deps.lockWaitMs ?? LOCK_WAIT_MS);
  for (;;) {
    try {
      return await acquirePushLock(deps.db, job.app, job.userId, deps.leaseSeconds, { notAPush: true });
    } catch (err) {
      if (!isPaasError(err, 'E_PUSH_LOCKED') || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function deployJob(deps: SourceDeployDeps, job: Job): Promise<Result> {
  const gitDir = await ensureRepo(deps.dataDir, job.app);
  const lease = await lockWhenFree(deps, job);
  const incoming = `refs/paas/incoming/${job.deliveryId}`;
  try {
    const rev = await fetchSource({
      dataDir: deps.dataDir, app: job.app, gitDir, url: job.repoUrl, branch: job.branch, targetRef: incoming,
      deployKey: job.deployKey, PATH: deps.PATH, maxBytes: deps.maxFetchBytes, timeoutMs: deps.fetchTimeoutMs ?? FETCH_TIMEOUT_MS,
      allowPrivate: deps.allowPrivate,
    });
    const deployRef = (await hasBranch(gitDir, 'main')) || !(await hasBranch(gitDir, 'master')) ? 'refs/heads/main' : 'refs/heads/master';
    const oldRev = (await revOf(gitDir, deployRef)) || ZERO;
    if (oldRev === rev) return { outcome: 'deployed', detail: `${rev.slice(0, 7)} is deployed already; nothing to do` };
    return await buildAndRelease(deps, job, gitDir, { ref: deployRef, oldRev, newRev: rev });
  } finally {
    await exec('git', ['--git-dir', gitDir, 'update-ref', '-d', incoming]).catch(() => undefined);
    await lease.release();
  }
}

/** As a push's pre-receive does: export the tree, announce paas.push.received, wait; then move the deploy branch. */
async function buildAndRelease(deps: SourceDeployDeps, job: Job, gitDir: string, u: { ref: string; oldRev: string; newRev: string }): Promise<Result> {
  if (!deps.bus.ready()) throw new PaasError('E_BUS_UNAVAILABLE', "The platform's event bus (NATS) is unreachable, so nothing was deployed");
  const buildId = crypto.randomUUID();
  const archivePath = path.join(deps.dataDir, 'archives', `${buildId}.tar`);
  fs.mkdirSync(path.dirname(archivePath), { recursive: true });
  await exec('git', ['--git-dir', gitDir, 'archive', '--format=tar', '-o', archivePath, u.newRev]);
  await deps.db('webhook_deliveries').where({ id: job.deliveryId }).update({ build_id: buildId, outcome: 'building', detail: `building ${u.newRev.slice(0, 7)}` });
  let lastError = '';
  const outcome = waitForOutcome(deps, buildId, (line) => { if (line.startsWith(' !')) lastError = line.replace(/^ !\s+/, ''); });
  await enqueueEvent(deps.db, 'pushReceived', { buildId, app: job.app, ref: u.ref, oldRev: u.oldRev, newRev: u.newRev, userId: job.userId, archivePath });
  if (await outcome !== 0) return { outcome: 'failed', detail: lastError || 'the build or deploy failed; see the build output', buildId };
  await exec('git', ['--git-dir', gitDir, 'update-ref', '-m', `paas: deployed from ${job.repoUrl} (webhook)`, u.ref, u.newRev, u.oldRev === ZERO ? '' : u.oldRev]);
  await announceRefUpdated(deps.db, job.app, u, job.userId);
  return { outcome: 'deployed', detail: `${u.newRev.slice(0, 7)} of ${job.branch} is live`, buildId };
}
