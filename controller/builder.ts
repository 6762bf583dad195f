// controller/builder.ts — handles paas.push.received: records the build (once, whatever the redeliveries), builds
// the pushed tree with the build driver (natively into the build's slug directory, or a Kubernetes build Job), and
// on success creates the release that the deployer rolls out. Every line goes to the build log, which the push relays.
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import { appBaseEnv } from '../core/app-env.ts';
import { appSlugsDir } from '../core/app-disk.ts';
import type { Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import type { Payload } from '../core/events.ts';
import { isPaasError } from '../core/errors.ts';
import { enqueueEvent } from '../core/outbox.ts';
import type { Logger } from '../core/logger.ts';
import { BuildLog, UNSTORED_LINES, type BuildRow } from '../services/builds.ts';
import { holdLease, leaseFrom } from './leases.ts';
import { createRelease } from '../services/releases.ts';
import { appJsonFormation, checkAppJsonInstances, recordDefaultFormation } from '../services/formation.ts';
import type { BuildDriver, BuildOutput } from '../runtime/driver.ts';
import type { AppJson } from '../builders/app-json-types.ts';
import { appJsonOfPush } from './app-json-step.ts';
import { recordBuild, secondsSince } from '../core/metrics/record.ts';
import { stackLabel } from './app-metrics.ts';
import { annotate, attr, currentTraceId, failActive, withSpan } from '../core/tracing.ts';
import { spanPerStep } from './step-spans.ts';
import { guardBuild, type BuildGuard } from './build-budget.ts';

export interface BuilderDeps { db: Knex; bus: Bus; log: Logger; config: Config; builds: BuildDriver }

/** Where a build's slug lives: one directory per build, under the app's data directory. */
export function slugDirOf(dataDir: string, app: string, number: number): string {
  return path.join(appSlugsDir(dataDir, app), String(number));
}

/**
 * Claims the build of a push: inserts its row the first time; on a redelivery, takes over a build whose worker
 * died (its lease expired). Returns undefined when there is nothing to do (it is done), 'held' while another
 * worker's lease on it runs.
 */
async function claimBuild(db: Knex, app: AppRow, p: Payload<'pushReceived'>, leaseSeconds: number): Promise<{ build: BuildRow; resumed: boolean } | 'held' | undefined> {
  return db.transaction(async (trx) => {
    await trx.raw('SELECT id FROM apps WHERE id = ? FOR UPDATE', [app.id]);
    const existing = (await trx('builds').where({ id: p.buildId }).first()) as BuildRow | undefined;
    if (existing) {
      if (existing.status !== 'building') return undefined;
      const [claimed] = await trx('builds').where({ id: p.buildId })
        .where((q) => q.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', trx.fn.now()))
        .update({ lease_expires_at: leaseFrom(trx, leaseSeconds) }).returning('*');
      return claimed ? { build: claimed as BuildRow, resumed: true } : 'held';
    }
    const { max } = (await trx('builds').where({ app_id: app.id }).max('number as max').first()) ?? { max: 0 };
    const [row] = await trx('builds').insert({
      id: p.buildId, app_id: app.id, number: (Number(max) || 0) + 1, ref: p.ref, rev: p.newRev, status: 'building',
      user_id: p.userId, lease_expires_at: leaseFrom(trx, leaseSeconds),
    }).returning('*');
    await enqueueEvent(trx, 'buildStatus', { buildId: row.id, app: app.name, number: row.number, status: 'building' }, row.id);
    return { build: row as BuildRow, resumed: false };
  });
}

/** Builds one push; never throws for build failures (they are recorded and announced). */
export async function buildPush(deps: BuilderDeps, p: Payload<'pushReceived'>): Promise<void> {
  const app = (await deps.db('apps').where({ name: p.app }).first()) as AppRow | undefined;
  let claim = app && await claimBuild(deps.db, app, p, deps.config.leaseSeconds);
  // A redelivery while the build is held: its worker may have died (the lease then lapses and this one resumes
  // it), or still be working (it ends). Acking it now would leave a dead worker's build to nobody.
  while (app && claim === 'held') {
    await new Promise((r) => setTimeout(r, 1000));
    claim = await claimBuild(deps.db, app, p, deps.config.leaseSeconds);
  }
  if (!app) { fs.rmSync(p.archivePath, { force: true }); return; }
  if (!claim || claim === 'held') return;
  const { build, resumed } = claim;
  // The build span is a child of the push's pre-receive (the work item carries its trace; core/nats-bus.ts).
  await withSpan('build', { [attr.app]: app.name, [attr.buildId]: build.id, [attr.buildNumber]: build.number }, () => runBuild(deps, app, build, resumed, p));
}

/** The first line of a push: the build's number, id and trace, so a bug report can name them. */
export function firstLine(app: string, number: number, ref: string, rev: string, buildId: string, traceId: string | undefined): string {
  return `-----> Building ${app} (build ${number}) from ${ref.replace('refs/heads/', '')} at ${rev.slice(0, 7)} (${idsOf(buildId, traceId)})`;
}

/** The first line of a build taken over after a controller restart: it names the ids too (its trace is a new one). */
export function resumedLine(buildId: string, traceId: string | undefined): string {
  return `-----> The controller restarted during this build; building again from the start (${idsOf(buildId, traceId)})`;
}

function idsOf(buildId: string, traceId: string | undefined): string {
  return traceId ? `build id ${buildId}, trace ${traceId}` : `build id ${buildId}`;
}

async function runBuild(deps: BuilderDeps, app: AppRow, build: BuildRow, resumed: boolean, p: Payload<'pushReceived'>): Promise<void> {
  const log = resumed ? await new BuildLog(deps.db, deps.bus, deps.log, build.id, app.name).resume(UNSTORED_LINES) : new BuildLog(deps.db, deps.bus, deps.log, build.id, app.name);
  const slugDir = slugDirOf(deps.config.dataDir, app.name, build.number);
  const stopLease = holdLease(deps.db, 'builds', build.id, deps.log, deps.config.leaseSeconds);
  let recorded = false;
  const started = performance.now();
  let stack: string | undefined;
  let guard: BuildGuard | undefined;
  try {
    if (resumed) log.line(resumedLine(build.id, currentTraceId()));
    else log.line(firstLine(app.name, build.number, p.ref, p.newRev, build.id, currentTraceId()));
    guard = await guardBuild(deps.db, deps.log, app, build.id); // the plan's build minutes
    const appJson = await withSpan('app.json', { [attr.app]: app.name }, () => appJsonOfPush(p.archivePath, app.name, app.config, log.line));
    const result = await withSpan('compile', { [attr.app]: app.name }, async () => {
      const steps = spanPerStep(log.line, app.name);
      try {
        const built = await deps.builds.build({
          app: app.name, buildId: build.id, number: build.number, archivePath: p.archivePath, slugDir, env: buildEnv(app, deps.config), uid: app.uid, log: steps.say,
          onStack: (detected) => { stack = detected; }, // a build that fails after detection keeps its stack label
          signal: guard?.signal, deadlineMs: guard?.deadlineMs,
        });
        steps.end();
        return built;
      } catch (err) { steps.end(err); throw err; }
    });
    stack = result.stack;
    // app.json's formation applies on every deploy: over the plan's instances, nothing is released.
    const fresh = (await deps.db('apps').where({ id: app.id }).first()) as AppRow;
    await checkAppJsonInstances(deps.db, fresh, appJsonFormation({ app_json: appJson }), Object.keys(result.processTypes));
    await guard?.end();
    guard = undefined;
    await succeed(deps, app, build, p, { ...result, appJson }, log);
    recorded = true;
    finished(deps, app, build, stack, 'succeeded', started);
  } catch (err) {
    const stopped = guard?.stoppedError();
    await guard?.end();
    await fail(deps, app, build, stopped ?? err, log);
    recorded = true;
    finished(deps, app, build, stack, 'failed', started);
  } finally {
    // Only now: a builder pod fetches the archive from gitd while the build runs. Kept when the outcome could not
    // be recorded (the database was away): the redelivered item builds it again from it.
    stopLease();
    if (recorded) fs.rmSync(p.archivePath, { force: true });
  }
}

/** Counts the build's outcome and logs it, inside its span: the line carries the push's trace_id. */
function finished(deps: BuilderDeps, app: AppRow, build: BuildRow, stack: string | undefined, outcome: 'succeeded' | 'failed', started: number): void {
  const seconds = secondsSince(started);
  recordBuild(stackLabel(stack), outcome, seconds);
  deps.log.info({ app: app.name, buildId: build.id, number: build.number, stack, outcome, seconds }, 'build finished');
}

function buildEnv(app: AppRow, config: Config): Record<string, string> {
  return { ...app.config, ...appBaseEnv(config.hostEnv), APP_NAME: app.name };
}

async function succeed(deps: BuilderDeps, app: AppRow, build: BuildRow, p: Payload<'pushReceived'>, result: BuildOutput & { appJson: AppJson | null }, log: BuildLog): Promise<void> {
  log.line(`-----> Build ${build.number} succeeded`);
  annotate({ [attr.outcome]: 'succeeded' });
  await log.flush();
  // The release span: its trace goes with paas.release.created (the outbox row), so the deploy is its child.
  await withSpan('release', { [attr.app]: app.name, [attr.buildId]: build.id, [attr.buildNumber]: build.number }, (span) => deps.db.transaction(async (trx) => {
    const fresh = (await trx('apps').where({ id: app.id }).first()) as AppRow;
    await trx('builds').where({ id: build.id }).update({
      status: 'succeeded', lease_expires_at: null, stack: result.stack, process_types: JSON.stringify(result.processTypes),
      path_prepend: JSON.stringify(result.pathPrepend), slug_dir: result.slugDir, image: result.image, finished_at: trx.fn.now(),
      app_json: result.appJson === null ? null : JSON.stringify(result.appJson),
    });
    await enqueueEvent(trx, 'buildStatus', { buildId: build.id, app: app.name, number: build.number, status: 'succeeded' }, build.id);
    // The default formation needs the declared order, which the jsonb process_types does not keep: recorded now.
    await recordDefaultFormation(trx, fresh, Object.keys(result.processTypes));
    const release = await createRelease(trx, fresh, { buildId: build.id, config: fresh.config, description: `Deploy ${p.newRev.slice(0, 7)}`, userId: p.userId, source: 'push' });
    span.setAttribute(attr.releaseVersion, release.version);
  }));
}

async function fail(deps: BuilderDeps, app: AppRow, build: BuildRow, err: unknown, log: BuildLog): Promise<void> {
  let message: string;
  if (isPaasError(err)) message = err.message;
  else {
    deps.log.error({ err, app: app.name, buildId: build.id }, 'build crashed');
    message = `internal error during the build (reference ${build.id.slice(0, 8)})`;
  }
  annotate({ [attr.outcome]: 'failed' });
  failActive(message);
  for (const line of message.split('\n')) log.line(` !     ${line}`);
  log.line(' !     Push rejected: the build failed, nothing was deployed');
  await log.flush();
  await deps.db.transaction(async (trx) => {
    await trx('builds').where({ id: build.id }).update({ status: 'failed', error: message, lease_expires_at: null, finished_at: trx.fn.now() });
    await enqueueEvent(trx, 'buildStatus', { buildId: build.id, app: app.name, number: build.number, status: 'failed', error: message }, build.id);
  });
}
