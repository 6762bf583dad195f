// controller/deployer.ts — turns a pending release into running processes through the runtime driver: release
// phase, zero-downtime deploy, and on failure the previous release keeps serving. Deploys of one app run in order.
import { spawn } from 'node:child_process';
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import { type Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { isPaasError, PaasError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { BuildLog, type BuildRow } from './builds.ts';
import { holdLease } from './builder.ts';
import type { ReleaseRow } from './releases.ts';
import type { LocalRuntime } from './runtime/local-runtime.ts';
import type { ReleaseSpec } from './runtime/types.ts';

export interface DeployerDeps { db: Knex; bus: Bus; log: Logger; config: Config; runtime: LocalRuntime }

/** The public URL of an app's web process. */
export function appUrl(config: Config, app: string): string {
  return `http://${app}.${config.baseDomain}:${config.routerPort}/`;
}

/** Builds the runtime spec of a release: its build's slug and process types, with the app's formation. */
export function releaseSpec(config: Config, app: AppRow, release: ReleaseRow, build: BuildRow): ReleaseSpec {
  const types = Object.entries(build.process_types ?? {}).filter(([type]) => type !== 'release');
  return {
    app: app.name, version: release.version, slugDir: build.slug_dir!, pathPrepend: build.path_prepend ?? [],
    env: { ...release.config, APP_NAME: app.name, RELEASE_VERSION: `v${release.version}`, PAAS_APP_URL: appUrl(config, app.name) },
    processes: types.map(([type, command]) => ({ type, command, quantity: app.formation[type] ?? 1 })),
  };
}

export class Deployer {
  private chains = new Map<string, Promise<void>>();
  constructor(private deps: DeployerDeps) {}

  /** Queues the deploy of a release behind any other deploy of the same app. */
  enqueue(app: string, releaseId: number, streamToBuild: boolean): Promise<void> {
    const next = (this.chains.get(app) ?? Promise.resolve()).then(() => this.deploy(releaseId, streamToBuild));
    const guarded = next.catch((err: unknown) => this.deps.log.error({ err, app, releaseId }, 'deploy crashed'));
    this.chains.set(app, guarded);
    return guarded;
  }

  private async deploy(releaseId: number, streamToBuild: boolean): Promise<void> {
    const { db } = this.deps;
    // Pending, or deploying under a lease its (crashed) worker no longer renews: redelivery is harmless.
    const claimed = await db('releases').where({ id: releaseId })
      .where((q) => q.where({ status: 'pending' }).orWhere((d) => d.where({ status: 'deploying' }).where('lease_expires_at', '<', db.fn.now())))
      .update({ status: 'deploying', lease_expires_at: db.raw("now() + interval '60 seconds'") }).returning('*');
    const release = claimed[0] as ReleaseRow | undefined;
    if (!release) return;
    const stopLease = holdLease(db, 'releases', release.id, this.deps.log);
    try {
      await this.deployClaimed(release, streamToBuild);
    } finally {
      stopLease();
    }
  }

  private async deployClaimed(release: ReleaseRow, streamToBuild: boolean): Promise<void> {
    const { db } = this.deps;
    const app = (await db('apps').where({ id: release.app_id }).first()) as AppRow;
    const build = (await db('builds').where({ id: release.build_id }).first()) as BuildRow;
    const log = streamToBuild ? await new BuildLog(db, this.deps.bus, this.deps.log, build.id, app.name).resume() : undefined;
    const say = log?.line ?? ((line: string) => this.deps.log.info({ app: app.name, line }, 'deploy'));
    try {
      const live = app.current_release_id ? await db('releases').where({ id: app.current_release_id }).first('version') : undefined;
      // Work items may arrive out of order: an older release never replaces a newer live one.
      if (live && live.version > release.version) throw new PaasError('E_RELEASE_BOOT_FAILED', `superseded by v${live.version}, which is already live`);
      const spec = releaseSpec(this.deps.config, app, release, build);
      say(`-----> Releasing v${release.version}`);
      if (build.process_types?.release) await this.runReleasePhase(spec, build.process_types.release, say);
      await this.deps.runtime.deploy(spec, say);
      await this.finish(app, release, build, 'succeeded', undefined, say, log);
    } catch (err) {
      const message = isPaasError(err) ? err.message : 'internal error while deploying (see the platform log)';
      if (!isPaasError(err)) this.deps.log.error({ err, app: app.name, releaseId: release.id }, 'deploy failed unexpectedly');
      for (const line of (err as { lastLines?: string[] }).lastLines ?? []) say(`       ${line}`);
      const current = app.current_release_id ? await db('releases').where({ id: app.current_release_id }).first() : undefined;
      say(` !     Release v${release.version} failed: ${message}`);
      say(current ? ` !     v${current.version} is still serving` : ' !     The app has no running release');
      await this.finish(app, release, build, 'failed', message, say, log);
    }
  }

  private async finish(app: AppRow, release: ReleaseRow, build: BuildRow, status: 'succeeded' | 'failed', error: string | undefined, say: (l: string) => void, log?: BuildLog): Promise<void> {
    const url = appUrl(this.deps.config, app.name);
    if (status === 'succeeded') say(`-----> v${release.version} is live at ${url}`);
    await log?.flush();
    await this.deps.db.transaction(async (trx) => {
      await trx('releases').where({ id: release.id }).update({ status, error: error ?? null, lease_expires_at: null, finished_at: trx.fn.now() });
      if (status === 'succeeded') await trx('apps').where({ id: app.id }).update({ current_release_id: release.id });
      await enqueueEvent(trx, 'deployStatus', {
        releaseId: release.id, app: app.name, version: release.version, buildId: build.id, status, error, url,
      }, release.id);
    });
  }

  /** Runs the Procfile's release command with the new release's environment; a non-zero exit stops the deploy. */
  private runReleasePhase(spec: ReleaseSpec, command: string, say: (l: string) => void): Promise<void> {
    say(`-----> Running release command: ${command}`);
    const pathDirs = spec.pathPrepend.map((d) => `${spec.slugDir}/${d}`);
    const env = { PATH: [...pathDirs, process.env.PATH ?? '/usr/bin:/bin'].join(':'), HOME: process.env.HOME ?? '/', ...spec.env };
    return new Promise((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', command], { cwd: spec.slugDir, env });
      let buf = '';
      const onData = (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        const lines = buf.split(/\r?\n/);
        buf = lines.pop() ?? '';
        lines.forEach((l) => say(`       ${l}`));
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('error', (err) => reject(new PaasError('E_RELEASE_BOOT_FAILED', `release command could not start: ${err.message}`)));
      child.on('close', (code) => {
        if (buf) say(`       ${buf}`);
        if (code === 0) resolve();
        else reject(new PaasError('E_RELEASE_BOOT_FAILED', `release command exited with code ${code}`));
      });
    });
  }
}

