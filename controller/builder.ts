// controller/builder.ts — handles paas.push.received: records the build (once, whatever the redeliveries),
// unpacks the pushed tree into the build's slug directory, builds it natively, and on success creates the
// release that the deployer rolls out. Every line goes to the build log, which the push relays.
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import type { Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import type { Payload } from '../core/events.ts';
import { isPaasError } from '../core/errors.ts';
import { enqueueEvent } from '../core/outbox.ts';
import type { Logger } from '../core/logger.ts';
import { buildNative, type BuildResult } from '../builders/native.ts';
import { BuildLog, type BuildRow } from './builds.ts';
import { createRelease } from './releases.ts';

const exec = promisify(execFile);

export interface BuilderDeps { db: Knex; bus: Bus; log: Logger; config: Config }

/** Where a build's slug lives: one directory per build, under the app's data directory. */
export function slugDirOf(dataDir: string, app: string, number: number): string {
  return path.join(dataDir, 'apps', app, 'slugs', String(number));
}

/** Inserts the build row unless this push was seen before; returns undefined on a redelivery. */
async function recordBuild(db: Knex, app: AppRow, p: Payload<'pushReceived'>): Promise<BuildRow | undefined> {
  return db.transaction(async (trx) => {
    await trx.raw('SELECT id FROM apps WHERE id = ? FOR UPDATE', [app.id]);
    if (await trx('builds').where({ id: p.buildId }).first()) return undefined;
    const { max } = (await trx('builds').where({ app_id: app.id }).max('number as max').first()) ?? { max: 0 };
    const [row] = await trx('builds').insert({
      id: p.buildId, app_id: app.id, number: (Number(max) || 0) + 1, ref: p.ref, rev: p.newRev, status: 'building', user_id: p.userId,
    }).returning('*');
    await enqueueEvent(trx, 'buildStatus', { buildId: row.id, app: app.name, number: row.number, status: 'building' }, row.id);
    return row as BuildRow;
  });
}

/** Builds one push; never throws for build failures (they are recorded and announced). */
export async function buildPush(deps: BuilderDeps, p: Payload<'pushReceived'>): Promise<void> {
  const app = (await deps.db('apps').where({ name: p.app }).first()) as AppRow | undefined;
  const build = app && await recordBuild(deps.db, app, p);
  if (!app || !build) { fs.rmSync(p.archivePath, { force: true }); return; }
  const log = new BuildLog(deps.db, deps.bus, deps.log, build.id, app.name);
  const slugDir = slugDirOf(deps.config.dataDir, app.name, build.number);
  try {
    log.line(`-----> Building ${app.name} (build ${build.number}) from ${p.ref.replace('refs/heads/', '')} at ${p.newRev.slice(0, 7)}`);
    fs.mkdirSync(slugDir, { recursive: true });
    await exec('tar', ['-x', '-f', p.archivePath, '-C', slugDir]);
    const result = await buildNative({ srcDir: slugDir, env: buildEnv(app), log: log.line });
    await succeed(deps, app, build, p, result, slugDir, log);
  } catch (err) {
    await fail(deps, app, build, err, log);
    fs.rmSync(slugDir, { recursive: true, force: true });
  } finally {
    fs.rmSync(p.archivePath, { force: true });
  }
}

function buildEnv(app: AppRow): Record<string, string> {
  const base = { PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8' };
  return { ...app.config, ...base, APP_NAME: app.name };
}

async function succeed(deps: BuilderDeps, app: AppRow, build: BuildRow, p: Payload<'pushReceived'>, result: BuildResult, slugDir: string, log: BuildLog): Promise<void> {
  log.line(`-----> Build ${build.number} succeeded`);
  await log.flush();
  await deps.db.transaction(async (trx) => {
    const fresh = (await trx('apps').where({ id: app.id }).first()) as AppRow;
    await trx('builds').where({ id: build.id }).update({
      status: 'succeeded', runtime: result.runtime, process_types: JSON.stringify(result.processTypes),
      path_prepend: JSON.stringify(result.pathPrepend), slug_dir: slugDir, finished_at: trx.fn.now(),
    });
    await enqueueEvent(trx, 'buildStatus', { buildId: build.id, app: app.name, number: build.number, status: 'succeeded' }, build.id);
    await createRelease(trx, fresh, { buildId: build.id, config: fresh.config, description: `Deploy ${p.newRev.slice(0, 7)}`, userId: p.userId, source: 'push' });
  });
}

async function fail(deps: BuilderDeps, app: AppRow, build: BuildRow, err: unknown, log: BuildLog): Promise<void> {
  let message: string;
  if (isPaasError(err)) message = err.message;
  else {
    deps.log.error({ err, app: app.name, buildId: build.id }, 'build crashed');
    message = `internal error during the build (reference ${build.id.slice(0, 8)})`;
  }
  for (const line of message.split('\n')) log.line(` !     ${line}`);
  log.line(' !     Push rejected: the build failed, nothing was deployed');
  await log.flush();
  await deps.db.transaction(async (trx) => {
    await trx('builds').where({ id: build.id }).update({ status: 'failed', error: message, finished_at: trx.fn.now() });
    await enqueueEvent(trx, 'buildStatus', { buildId: build.id, app: app.name, number: build.number, status: 'failed', error: message }, build.id);
  });
}
