// controller/deployer.ts — turns a pending release into running processes through the runtime driver (local or
// Kubernetes): app.json's predeploy, release phase, zero-downtime deploy, app.json's postdeploy, and on failure the
// previous release keeps (or goes back to) serving. Deploys of one app run in order.
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import { type Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { deployEvent, enqueueDeliveries } from '../services/webhook-deliveries.ts';
import { isPaasError, PaasError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { listDomains } from '../services/apps.ts';
import { BuildLog, UNSTORED_LINES, type BuildRow } from '../services/builds.ts';
import { holdLease, leaseFrom } from './leases.ts';
import { appEdge } from '../services/https-edge.ts';
import { planMemoryMb } from '../services/quotas.ts';
import { liveAppUrl, liveSpec, releaseSpec } from '../services/release-spec.ts';
import type { ReleaseRow } from '../services/releases.ts';
import type { ReleaseSpec } from '../runtime/types.ts';
import { pruneImages, pruneSlugs, type RemoveAppImages } from './slug-retention.ts';
import { RolloutFailedError, type RuntimeDriver, type Say } from '../runtime/driver.ts';
import type { ProcessSpec } from '../runtime/types.ts';
import { appJsonFormation, checkAppJsonInstances } from '../services/formation.ts';
import { recordDeploy, secondsSince } from '../core/metrics/record.ts';
import { stackLabel } from './app-metrics.ts';
import { annotate, attr, failActive, withSpan } from '../core/tracing.ts';

/** `web=1 worker=2`, as ps:scale takes them. */
function scaleList(quantities: Record<string, number>): string {
  return Object.entries(quantities).map(([t, n]) => `${t}=${n}`).join(' ');
}

/** True when the release runs at least one web process (only then has it a URL). */
export function servesWeb(processes: ProcessSpec[]): boolean {
  return processes.some((p) => p.type === 'web' && p.quantity > 0);
}

/** A successful deploy's last push line: the URL when web runs, else what runs instead (or that nothing does). */
export function toLiveLine(version: number, processes: ProcessSpec[], url: string | undefined): string {
  if (url !== undefined && servesWeb(processes)) return `-----> v${version} is live at ${url}`;
  const running = processes.filter((p) => p.quantity > 0).map((p) => `${p.type} x${p.quantity}`);
  if (running.length === 0) return `-----> v${version} is up, but no process runs (scale one up with ps:scale)`;
  return `-----> v${version} is up: ${running.join(', ')} (no web process, so no URL)`;
}

export interface DeployerDeps {
  db: Knex; bus: Bus; log: Logger; config: Config; runtime: RuntimeDriver;
  /** Docker mode: removes an app's build images beyond slug retention (runtime/docker/images.ts appImageRemover). */
  removeAppImages?: RemoveAppImages;
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
    const claim = await this.claim(releaseId);
    if (!claim) return;
    const stopLease = holdLease(this.deps.db, 'releases', claim.release.id, this.deps.log, this.deps.config.leaseSeconds);
    const { release } = claim;
    const started = performance.now();
    try {
      // A child of the release span (paas.release.created carries its trace), so a push's deploy is in its trace.
      await withSpan('deploy', { [attr.releaseVersion]: release.version, ...(release.build_id ? { [attr.buildId]: release.build_id } : {}) }, async () => {
        const { stack, status } = await this.deployClaimed(release, streamToBuild, claim.takenOver);
        const seconds = secondsSince(started);
        recordDeploy(stackLabel(stack), status, seconds);
        // Inside the span: the line carries the push's trace_id, an operator's way from a log to the trace.
        this.deps.log.info({ releaseId: release.id, version: release.version, buildId: release.build_id, status, seconds }, 'deploy finished');
      });
    } finally {
      stopLease();
    }
  }

  /**
   * Claims a pending release, or takes over one whose worker died (deploying under a lapsed lease), so a redelivery
   * is harmless. While another worker's lease runs it waits: that deploy ends, or its worker died and the lease
   * lapses. Undefined when there is nothing left to do.
   */
  private async claim(releaseId: number): Promise<{ release: ReleaseRow; takenOver: boolean } | undefined> {
    const { db } = this.deps;
    for (;;) {
      const before = await db('releases').where({ id: releaseId }).first('status');
      if (before?.status !== 'pending' && before?.status !== 'deploying') return undefined;
      const [release] = await db('releases').where({ id: releaseId })
        .where((q) => q.where({ status: 'pending' }).orWhere((d) => d.where({ status: 'deploying' })
          .where((l) => l.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', db.fn.now()))))
        .update({ status: 'deploying', lease_expires_at: leaseFrom(db, this.deps.config.leaseSeconds) }).returning('*');
      if (release) return { release: release as ReleaseRow, takenOver: before.status === 'deploying' };
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Deploys a claimed release; returns its build's stack and the outcome recorded (for the deploy histogram). */
  private async deployClaimed(release: ReleaseRow, streamToBuild: boolean, takenOver: boolean): Promise<{ stack: string | null; status: 'succeeded' | 'failed' }> {
    const { db } = this.deps;
    const app = (await db('apps').where({ id: release.app_id }).first()) as AppRow;
    const build = (await db('builds').where({ id: release.build_id }).first()) as BuildRow;
    const log = streamToBuild ? await new BuildLog(db, this.deps.bus, this.deps.log, build.id, app.name).resume(takenOver ? UNSTORED_LINES : 0) : undefined;
    const say = log?.line ?? ((line: string) => this.deps.log.info({ app: app.name, line }, 'deploy'));
    annotate({ [attr.app]: app.name, [attr.buildNumber]: build.number });
    if (takenOver) say('-----> The controller restarted during this deploy; deploying again');
    try {
      const live = app.current_release_id ? await db('releases').where({ id: app.current_release_id }).first('version') : undefined;
      // Work items may arrive out of order: an older release never replaces a newer live one.
      if (live && live.version > release.version) throw new PaasError('E_RELEASE_BOOT_FAILED', `superseded by v${live.version}, which is already live`);
      await checkAppJsonInstances(db, app, appJsonFormation(build), Object.keys(build.process_types ?? {})); // before any process starts
      const domains = await listDomains(db, app.id);
      const spec = releaseSpec(this.deps.config, app, release, build, domains, await appEdge(db, this.deps.config.baseDomain, app, domains), await planMemoryMb(db, app.id));
      const previous = await liveSpec(db, this.deps.config, app, domains);
      say(`-----> Releasing v${release.version}`);
      const scripts = build.app_json?.scripts;
      const fromAppJson = appJsonFormation(build);
      if (fromAppJson) say(`-----> Formation set by app.json: ${scaleList(fromAppJson)} (ps:scale is off while app.json sets it)`);
      // Dokku's order: predeploy, then the Procfile's release phase, then the new processes.
      const step = (name: string, fn: () => Promise<void>) => withSpan(name, { [attr.app]: app.name, [attr.releaseVersion]: release.version }, fn);
      if (scripts?.predeploy) await step('predeploy script', () => this.deps.runtime.runRelease(spec, scripts.predeploy!, say, previous, 'predeploy script'));
      if (build.process_types?.release) await step('release phase', () => this.deps.runtime.runRelease(spec, build.process_types!.release!, say, previous));
      // A ps:autoscale (or :off) that lands during the rollout is applied again once this deploy is over (see reconcileAutoscaling).
      await step('rollout', () => this.deps.runtime.deploy(spec, say, previous));
      const postdeploy = await this.postdeploySteps(app, release, scripts);
      // Live before the postdeploy scripts run: a restart during them must not deploy the release again.
      if (postdeploy.length) await this.goLive(app, release);
      const scriptError = await this.runPostdeploy(app, release, spec, postdeploy, say);
      await this.finish(app, release, build, 'succeeded', scriptError, say, log, spec.processes);
      await pruneSlugs(db, this.deps.config.dataDir, app, this.deps.config.gitLimits.slugRetention, this.deps.log)
        .catch((err: unknown) => this.deps.log.error({ err, app: app.name }, 'could not delete old slugs; the next deploy tries again'));
      if (this.deps.removeAppImages) {
        await pruneImages(db, app, this.deps.config.gitLimits.slugRetention, this.deps.removeAppImages, this.deps.log)
          .catch((err: unknown) => this.deps.log.error({ err, app: app.name }, 'could not remove old images; the next deploy tries again'));
      }
      await this.reconcileAutoscaling(app);
      return { stack: build.stack ?? null, status: 'succeeded' };
    } catch (err) {
      const message = isPaasError(err) ? err.message : 'internal error while deploying (see the platform log)';
      if (!isPaasError(err)) this.deps.log.error({ err, app: app.name, releaseId: release.id }, 'deploy failed unexpectedly');
      await this.sayFailure(app, release, err, message, say);
      await this.finish(app, release, build, 'failed', message, say, log);
      await this.reconcileAutoscaling(app);
      return { stack: build.stack ?? null, status: 'failed' };
    }
  }

  /**
   * A deploy applies (or rolls back to) the autoscaling it read when it started, and deletes the autoscalers of types
   * it does not autoscale: a ps:autoscale or :off stored meanwhile, whose event the controller may already have applied,
   * was undone. Once the deploy is over (its release live, or the previous one back), when apps.autoscaling differs
   * from what it used, the event goes out again: its handler applies what is stored now to the live release. Never
   * throws: the deploy's outcome is recorded already; a failure here is logged (the next deploy applies it anyway).
   */
  private async reconcileAutoscaling(app: AppRow): Promise<void> {
    try {
      const now = ((await this.deps.db('apps').where({ id: app.id }).first('autoscaling')) as Pick<AppRow, 'autoscaling'> | undefined)?.autoscaling ?? {};
      const used = app.autoscaling ?? {};
      const changed = [...new Set([...Object.keys(now), ...Object.keys(used)])].sort()
        .filter((type) => JSON.stringify(now[type]) !== JSON.stringify(used[type]));
      if (!changed.length) return;
      this.deps.log.info({ app: app.name, types: changed }, 'autoscaling changed during the deploy; applying it again');
      await enqueueEvent(this.deps.db, 'autoscalingUpdated', { app: app.name, type: changed[0]! });
    } catch (err) {
      this.deps.log.error({ err, app: app.name }, 'could not check the autoscaling after a deploy; the next deploy or ps:autoscale applies it');
    }
  }

  /**
   * app.json's postdeploy scripts for this deploy, as [label, command]: Heroku's `scripts.postdeploy` when the app has
   * no other succeeded release (its first deploy), then Dokku's `scripts.dokku.postdeploy` (every deploy).
   */
  private async postdeploySteps(app: AppRow, release: ReleaseRow, scripts: NonNullable<BuildRow['app_json']>['scripts']): Promise<Array<[string, string]>> {
    const steps: Array<[string, string]> = [];
    if (scripts?.firstDeploy && !(await this.deps.db('releases').where({ app_id: app.id, status: 'succeeded' }).whereNot({ id: release.id }).first('id'))) {
      steps.push(['first-deploy postdeploy script', scripts.firstDeploy]);
    }
    if (scripts?.postdeploy) steps.push(['postdeploy script', scripts.postdeploy]);
    return steps;
  }

  /**
   * Records the release live (succeeded, the app's current release) once its processes serve. It keeps its lease
   * (and no finished_at) until its postdeploy scripts end: until then the push still runs (services/builds.ts).
   */
  private async goLive(app: AppRow, release: ReleaseRow): Promise<void> {
    await this.deps.db.transaction(async (trx) => {
      await trx('releases').where({ id: release.id }).update({ status: 'succeeded', error: null });
      await trx('apps').where({ id: app.id }).update({ current_release_id: release.id });
    });
  }

  /**
   * Runs the postdeploy steps once the new release is live. A failure does not undo the deploy (the release passed
   * its checks and serves): it is said with ` !     ` lines and returned, so the push exits non-zero (docs/design.md).
   */
  private async runPostdeploy(app: AppRow, release: ReleaseRow, spec: ReleaseSpec, steps: Array<[string, string]>, say: Say): Promise<string | undefined> {
    for (const [label, command] of steps) {
      try {
        await withSpan(label, { [attr.app]: app.name, [attr.releaseVersion]: release.version }, () => this.deps.runtime.runRelease(spec, command, say, undefined, label));
      } catch (err) {
        // Never rethrown: the new release already serves, so the deploy must be recorded as live.
        if (!isPaasError(err)) this.deps.log.error({ err, app: app.name, releaseId: release.id }, `${label} crashed`);
        const message = isPaasError(err) ? err.message : `${label} could not run (internal error, see the platform log)`;
        say(` !     ${message}`);
        say(label === 'postdeploy script'
          ? ` !     v${release.version} is live (it passed its checks); the script's work is not done: fix it and push again`
          // Heroku's postdeploy runs after the first deploy only: the next push will not run it again.
          : ` !     v${release.version} is live (it passed its checks); scripts.postdeploy runs only after the first deploy, so run it by hand: run ${app.name} ${command}`);
        return message;
      }
    }
    return undefined;
  }

  /** The push's failure lines: the failing process's last lines, then what failed and what serves now. */
  private async sayFailure(app: AppRow, release: ReleaseRow, err: unknown, message: string, say: Say): Promise<void> {
    for (const line of (err as { lastLines?: string[] }).lastLines ?? []) say(`       ${line}`);
    const current = app.current_release_id ? await this.deps.db('releases').where({ id: app.current_release_id }).first() : undefined;
    if (err instanceof RolloutFailedError) {
      // The driver rolled the cluster back (or tried to): say exactly what serves now.
      say(` !     Release v${release.version} failed: ${message}${err.rolledBackTo !== undefined ? `; rolled back to v${err.rolledBackTo}` : ''}`);
      if (!current) say(' !     The app has no running release');
      return;
    }
    say(` !     Release v${release.version} failed: ${message}`);
    say(current ? ` !     v${current.version} is still serving` : ' !     The app has no running release');
  }

  private async finish(
    app: AppRow, release: ReleaseRow, build: BuildRow, status: 'succeeded' | 'failed', error: string | undefined, say: (l: string) => void,
    log?: BuildLog, processes: ProcessSpec[] = [],
  ): Promise<void> {
    // https once the app's host has a certificate the edge serves (release-spec.ts); the exact http URL otherwise.
    // Only a running web process has a URL: a worker-only app says what runs instead.
    const url = servesWeb(processes) ? await liveAppUrl(this.deps.db, this.deps.config, app) : undefined;
    if (status === 'succeeded') say(toLiveLine(release.version, processes, url));
    // A failed postdeploy script leaves the release live: the deploy succeeded (as its metric says), flagged; the
    // script's own span has the error status.
    const postdeployFailed = status === 'succeeded' && error !== undefined;
    annotate({ [attr.outcome]: status, ...(postdeployFailed ? { [attr.postdeployFailed]: true } : {}) });
    if (error && !postdeployFailed) failActive(error);
    await log?.flush();
    await this.deps.db.transaction(async (trx) => {
      await trx('releases').where({ id: release.id }).update({ status, error: error ?? null, lease_expires_at: null, finished_at: trx.fn.now() });
      // Already so when the release went live before its postdeploy scripts (goLive).
      if (status === 'succeeded') await trx('apps').where({ id: app.id }).update({ current_release_id: release.id });
      const announced = { releaseId: release.id, app: app.name, version: release.version, buildId: build.id, status, error, url };
      await enqueueEvent(trx, 'deployStatus', announced, release.id);
      await enqueueDeliveries(trx, deployEvent(announced)); // the hooks' rows with it: durable, whoever listens now
    });
  }
}
