// gitd/pre-receive.ts — what a push does inside git's pre-receive hook: plan the refs, export the pushed tree
// from the quarantine, hand it to the controller (paas.push.received), and relay the build and deploy output
// line by line until the outcome is known. Its exit code decides whether git moves the ref.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import type { Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { subjectOf } from '../core/events.ts';
import { isPaasError, PaasError } from '../core/errors.ts';
import { buildLines, pushOutcome } from '../services/builds.ts';
import { checkBuildMinutes } from '../services/build-minutes.ts';
import { planDiskLimit } from '../services/quotas.ts';
import type { Logger } from '../core/logger.ts';
import { hasBranch } from './repos.ts';
import { appSlugsDir, dirBytes } from '../core/app-disk.ts';
import { formatMb } from '../core/git-limits.ts';
import { announceRefUpdated } from './ref-updated.ts';
import { planPush, type RefUpdate } from './refs.ts';
import { pushReviewApps, type ReviewPushDeps } from './review-push.ts';
import { reviewParent } from '../services/review-push.ts';
import type { ReviewAppRow } from '../services/review-apps.ts';
import type { Say } from '../core/say.ts';
import { recordPush } from '../core/metrics/record.ts';
import { annotate, attr, failSpan, withSpan } from '../core/tracing.ts';

const exec = promisify(execFile);
const PUSH_TIMEOUT_MS = 60 * 60 * 1000;

/** `refApp`: the app whose repo holds the pushed ref when it is not `app` (a review app's branch is its parent's). */
export interface PushContext { app: string; userId: number; gitDir: string; hookEnv: Record<string, string>; clientGone?: () => boolean; refApp?: string }
/**
 * `hostEnv`: PATH and HOME for the git commands a push runs (config.hostEnv); `appQuotaBytes`: config.gitLimits';
 * `review`: what review apps need (without it, other branches are only stored).
 */
export interface PreReceiveDeps { db: Knex; bus: Bus; dataDir: string; log: Logger; hostEnv: Config['hostEnv']; appQuotaBytes?: number; review?: ReviewPushDeps }

/** The hook's exit code, and the verdict for the trace (paas.outcome, as the push metric counts it). */
export interface PreReceiveVerdict { code: number; outcome: 'succeeded' | 'failed' | 'stored' | 'refused' }

/** Runs the pre-receive decision for one push, in its span (the verdict is its paas.outcome). */
export function runPreReceive(deps: PreReceiveDeps, ctx: PushContext, updates: RefUpdate[], say: Say): Promise<PreReceiveVerdict> {
  return withSpan('pre-receive', { [attr.app]: ctx.app }, async (span) => {
    const verdict = await decide(deps, ctx, updates, say);
    if (verdict.code !== 0) failSpan(span, 'push rejected');
    span.setAttribute(attr.outcome, verdict.outcome);
    return verdict;
  });
}

/** `stored` when nothing was to deploy (a branch, a deletion); `refused` before a build (a PaasError). */
async function decide(deps: PreReceiveDeps, ctx: PushContext, updates: RefUpdate[], say: Say): Promise<PreReceiveVerdict> {
  const verdict = (code: number): PreReceiveVerdict => ({ code, outcome: code === 0 ? 'succeeded' : 'failed' });
  try {
    const plan = planPush(updates, await hasBranch(ctx.gitDir, 'main')); // the refs rules first: they need no disk walk
    await checkQuota(deps, ctx);
    const parent = deps.review && plan.stored.length ? await reviewParent(deps.db, ctx.app) : undefined;
    let code = plan.deploy ? await deployPush(deps, ctx, plan.deploy, say) : 0;
    if (code === 0 && plan.stored.length) code = await storeBranches(deps, ctx, plan.stored, say, parent);
    if (!plan.deploy && !parent) {
      recordPush(code === 0 ? 'stored' : 'failed');
      return { code, outcome: code === 0 ? 'stored' : 'failed' };
    }
    const result = verdict(code);
    recordPush(result.outcome === 'succeeded' ? 'succeeded' : 'failed');
    return result;
  } catch (err) {
    if (!isPaasError(err)) {
      recordPush('failed');
      const ref = crypto.randomUUID().slice(0, 8);
      deps.log.error({ err, app: ctx.app, ref }, 'pre-receive failed');
      say(` !     Internal error (reference ${ref}); the push was not deployed`);
      return verdict(1);
    }
    recordPush('refused'); // refused before a build: quota, refs rules, the bus away
    say(` !     ${err.message}`);
    return { code: 1, outcome: 'refused' };
  }
}

/** The other branches: review apps when the app has them (gitd/review-push.ts), else only stored. */
async function storeBranches(deps: PreReceiveDeps, ctx: PushContext, stored: RefUpdate[], say: Say, parent: ReviewAppRow | undefined): Promise<number> {
  const app = await deps.db('apps').where({ name: ctx.app }).first('id');
  return pushReviewApps(deps.db, deps.review, parent, app.id, stored, say, (name, u) => deployPush(deps, { ...ctx, app: name, refApp: ctx.app }, u, say));
}

/**
 * Refuses a push that would take the app over its disk quota: the repo (which now holds the push's objects in its
 * quarantine) plus the kept slugs. The quota is the app's plan's disk per app when it sets one, else
 * PAAS_APP_QUOTA_MB. Refused here, git drops the quarantine, so nothing of the push stays.
 */
async function checkQuota(deps: PreReceiveDeps, ctx: PushContext): Promise<void> {
  const fromPlan = await planDiskLimit(deps.db, ctx.app);
  const quotaBytes = fromPlan?.bytes ?? deps.appQuotaBytes;
  if (!quotaBytes) return;
  const quarantine = ctx.hookEnv.GIT_QUARANTINE_PATH;
  const [repo, slugs, pushed] = await Promise.all([dirBytes(ctx.gitDir), dirBytes(appSlugsDir(deps.dataDir, ctx.app)), quarantine ? dirBytes(quarantine) : 0]);
  const total = repo + slugs;
  if (total <= quotaBytes) return;
  const detail = `in use before this push: ${formatMb(total - pushed)}, repo and slugs; this push: ${formatMb(pushed)}`;
  if (fromPlan) {
    throw new PaasError('E_QUOTA_DISK', `Push refused: plan "${fromPlan.plan.name}" allows ${formatMb(quotaBytes)} of disk per app; ${ctx.app} would use ${formatMb(total)} `
      + `(${detail}); nothing was stored. Ask an admin for a larger plan`);
  }
  throw new PaasError('E_QUOTA_EXCEEDED', `Push refused: ${ctx.app} would use ${formatMb(total)} of its ${formatMb(quotaBytes)} disk quota `
    + `(PAAS_APP_QUOTA_MB; ${detail}); nothing was stored`);
}

/** Exports the pushed revision from git's quarantine into a tarball the builder reads. */
async function exportTree(deps: PreReceiveDeps, ctx: PushContext, rev: string, file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const env = { PATH: deps.hostEnv.PATH, ...ctx.hookEnv, GIT_DIR: ctx.gitDir };
  await exec('git', ['archive', '--format=tar', '-o', file, rev], { env });
}

async function deployPush(deps: PreReceiveDeps, ctx: PushContext, update: RefUpdate, say: Say): Promise<number> {
  await checkBuildMinutes(deps.db, ctx.app); // refused before building when the plan's minutes are used up (review apps too)
  if (!deps.bus.ready()) {
    throw new PaasError('E_BUS_UNAVAILABLE', "The platform's event bus (NATS) is unreachable, so nothing was deployed; try again in a moment");
  }
  const buildId = crypto.randomUUID();
  annotate({ [attr.buildId]: buildId });
  const archivePath = path.join(deps.dataDir, 'archives', `${buildId}.tar`);
  await exportTree(deps, ctx, update.newRev, archivePath);
  // If the client goes away mid-build, git drops its quarantine: keep the pushed objects so the ref can still
  // move once the deploy succeeds.
  keepQuarantinedObjects(ctx);
  const outcome = waitForOutcome(deps, buildId, say);
  await enqueueEvent(deps.db, 'pushReceived', {
    buildId, app: ctx.app, ref: update.ref, oldRev: update.oldRev, newRev: update.newRev, userId: ctx.userId, archivePath,
  });
  const code = await outcome;
  if (code === 0 && ctx.clientGone?.()) await moveRefAfterDisconnect(deps, ctx, update);
  return code;
}

/** Copies the quarantined objects of this push into the repo's object store (unreferenced until a ref moves). */
function keepQuarantinedObjects(ctx: PushContext): void {
  const quarantine = ctx.hookEnv.GIT_QUARANTINE_PATH;
  if (!quarantine || !fs.existsSync(quarantine)) return;
  const files = fs.readdirSync(quarantine, { recursive: true, withFileTypes: true }).filter((d) => d.isFile());
  // Packs before their indexes: an index must never point at a pack that is not there yet.
  files.sort((a, b) => Number(a.name.endsWith('.idx')) - Number(b.name.endsWith('.idx')));
  for (const f of files) {
    const rel = path.relative(quarantine, path.join(f.parentPath, f.name));
    const target = path.join(ctx.gitDir, 'objects', rel);
    if (fs.existsSync(target)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // Copied under a temporary name (git's own tmp_obj_ pattern), then renamed: if gitd dies mid-copy, the
    // repo never holds a truncated object (git fsck stays clean), only a temporary file git gc removes.
    const tmp = path.join(ctx.gitDir, 'objects', `tmp_obj_paas_${crypto.randomBytes(6).toString('hex')}`);
    fs.copyFileSync(path.join(f.parentPath, f.name), tmp);
    fs.renameSync(tmp, target);
  }
}

/** The client left before the verdict, so git won't move the ref: do it here, only if nobody moved it since. */
async function moveRefAfterDisconnect(deps: PreReceiveDeps, ctx: PushContext, u: RefUpdate): Promise<void> {
  try {
    await exec('git', ['--git-dir', ctx.gitDir, 'update-ref', '-m', 'paas: deployed after the client disconnected', u.ref, u.newRev, u.oldRev]);
    await announceRefUpdated(deps.db, ctx.refApp ?? ctx.app, u, ctx.userId);
  } catch (err) {
    deps.log.error({ err, app: ctx.app, ref: u.ref }, 'the deploy succeeded but the ref could not be moved');
  }
}

/**
 * Relays the build's log lines and resolves with 0 once its release is live, 1 when the build or deploy failed.
 * The status events give the verdict at once; the database, polled beside them, gives it when an event was lost,
 * and fills in any log lines the bus dropped.
 */
export function waitForOutcome(deps: Pick<PreReceiveDeps, 'bus' | 'db'>, buildId: string, say: Say): Promise<number> {
  const { bus, db } = deps;
  let lastSeq = 0;
  const relay = (seq: number, line: string) => { if (seq > lastSeq) { lastSeq = seq; say(line); } };
  return new Promise((resolve) => {
    const subs: Array<() => void> = [];
    let done = false;
    const finish = async (code: number, line?: string) => {
      if (done) return;
      done = true;
      subs.forEach((u) => u());
      clearTimeout(timer);
      clearInterval(poll);
      for (const l of await buildLines(db, buildId, lastSeq).catch(() => [])) relay(l.seq, l.line);
      if (line) say(line);
      resolve(code);
    };
    const timer = setTimeout(() => void finish(1, ' !     Timed out waiting for the build to finish'), PUSH_TIMEOUT_MS);
    const poll = setInterval(() => {
      pushOutcome(db, buildId).then((o) => { if (o !== 'running') void finish(o === 'succeeded' ? 0 : 1); }, () => undefined);
    }, 2000);
    subs.push(bus.subscribe(subjectOf('buildLog', buildId), (_s, p) => relay(Number(p.seq), String(p.line))));
    subs.push(bus.subscribe(subjectOf('buildStatus', buildId), (_s, p) => { if (p.status === 'failed') void finish(1); }));
    subs.push(bus.subscribe('paas.deploy.*.status', (_s, p) => {
      if (p.buildId !== buildId) return;
      // A succeeded deploy with an error: live, but app.json's postdeploy script failed (controller/deployer.ts).
      if (p.status === 'succeeded') void finish(p.error ? 1 : 0);
      if (p.status === 'failed') void finish(1);
    }));
  });
}

/** Records the ref updates once git has applied them (post-receive). */
export async function runPostReceive(deps: PreReceiveDeps, ctx: PushContext, updates: RefUpdate[]): Promise<void> {
  for (const u of updates) {
    await announceRefUpdated(deps.db, ctx.app, u, ctx.userId);
  }
}

