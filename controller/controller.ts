// controller/controller.ts — the pipeline's event wiring: push → build → release → deploy, plus destroy, scale,
// restart and domains (controller/runtime-events.ts, which wait for the restore); and, at boot, recovery of
// interrupted work and the restart of every app's current release. The drivers (build and runtime) come from
// runtime/select.ts, by the mode: local processes, or Kubernetes.
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import type { Bus } from '../core/bus.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { deployEvent, enqueueDeliveries } from '../services/webhook-deliveries.ts';
import type { Config } from '../core/config.ts';
import type { Payload } from '../core/events.ts';
import type { Logger } from '../core/logger.ts';
import { buildPush } from './builder.ts';
import { Deployer } from './deployer.ts';
import { startMetricsSampler } from './metrics-sampler.ts';
import { subscribeRuntimeEvents } from './runtime-events.ts';
import { liveSpec } from '../services/release-spec.ts';
import type { RuntimeDriver } from '../runtime/driver.ts';
import { selectDrivers, type Drivers } from '../runtime/select.ts';
import { UsageBoard } from '../runtime/usage.ts';
import { appsOf, attachAppMetrics } from './app-metrics.ts';
import { subscribeWebhookEvents } from './webhook-events.ts';
import { WebhookWorker } from './webhook-worker.ts';
import { startReviewSweep } from './review-sweep.ts';

/** The drivers in use (`router` only in the embedded mode), and how to stop. */
export interface Controller extends Drivers {
  /** Tells the controller the web port is bound (in one process, its port is known only then): the router's platform route follows it. */
  webListening(): void;
  /** The latest process usage the sampler read (empty where the runtime cannot say: Kubernetes). */
  usage: UsageBoard;
  stop(): Promise<void>;
}

/** Starts the controller: drivers, event handlers, recovery, and the process snapshot. */
export async function startController(db: Knex, bus: Bus, config: Config, log: Logger): Promise<Controller> {
  const { runtime, builds, router, routerPort, removeAppImages, usageSource } = await selectDrivers(db, bus, config, log);
  const inFlight = tracker();
  const usage = new UsageBoard();
  // Local mode's certificates for the router's HTTPS port: loaded at start, re-synced on deploys and domain changes.
  // Loaded only there: Kubernetes mode never loads the ACME client.
  const certs = router ? new (await import('./certificates.ts')).CertificateManager({ db, config, router, log: log.child({ module: 'certificates' }) }) : undefined;
  const deployer = new Deployer({ db, bus, log: log.child({ module: 'deployer' }), config, runtime, removeAppImages });
  // Outgoing webhooks: deliveries are rows first; the worker sends them, and resumes pending ones after a restart.
  const hooks = new WebhookWorker(db, config.webhooks, log.child({ module: 'webhooks' }), 'paas-webhooks/1');
  let markRestored!: () => void;
  const restored = new Promise<void>((resolve) => { markRestored = resolve; });
  const unsubs = [
    bus.subscribe('paas.push.received', (_s, p) => inFlight.track(buildPush({ db, bus, log: log.child({ module: 'builder' }), config, builds }, p as unknown as Payload<'pushReceived'>)),
      { durable: 'controller-builds' }),
    bus.subscribe('paas.release.created', (_s, p) => inFlight.track(deployer.enqueue(String(p.app), Number(p.releaseId), p.source === 'push')), { durable: 'controller-deploys' }),
    ...subscribeRuntimeEvents({ db, bus, config, runtime, log, restored, certs }),
    ...subscribeWebhookEvents(db, bus, log.child({ module: 'webhooks' }), () => hooks.wake()),
    // A first deploy gives an app its hosts (and so its certificate orders); the order itself runs in the background.
    bus.subscribe('paas.deploy.*.status', (_s, p) => {
      if (p.status !== 'succeeded') return;
      void certs?.syncApp(String(p.app)).catch((err: unknown) => log.warn({ err, app: p.app }, 'could not sync the certificates after a deploy'));
    }),
  ];
  await recover(db, log, config.natsUrl ? 10 * 60 : undefined);
  await restoreApps(db, config, runtime, log).finally(markRestored);
  // A pending push release (its build's first release) streams its deploy into the push, which may still wait for it.
  const pending = await db('releases as r').join('apps', 'apps.id', 'r.app_id').where('r.status', 'pending')
    .select('r.id', 'apps.name', db.raw('(r.build_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM releases e WHERE e.build_id = r.build_id AND e.id < r.id)) AS from_push'));
  for (const r of pending) void deployer.enqueue(r.name, r.id, r.from_push === true);
  await certs?.start();
  hooks.start();
  // /metrics of this process: the router's per-app traffic, the usage board, the processes and certificates tables.
  const detachMetrics = attachAppMetrics({ apps: appsOf(db), router, usage, db });
  const stopReviewSweep = startReviewSweep(db, log.child({ module: 'review-sweep' }));
  const snapshot = setInterval(() => void snapshotProcesses(db, runtime).catch((err: unknown) => log.warn({ err }, 'process snapshot failed')), 2000);
  // After the restore, so instances adopted or restarted by it are the first reading's baseline, not new CPU.
  const sampler = router || usageSource ? startMetricsSampler({
    db, runtime, router, usage: usageSource, board: usage, intervalMs: config.metrics.sampleIntervalMs, log: log.child({ module: 'metrics-sampler' }),
  }) : undefined;
  return {
    runtime, builds, router, routerPort, usage, usageSource,
    webListening: () => certs?.routePlatform(),
    async stop() {
      clearInterval(snapshot);
      await stopReviewSweep();
      await sampler?.stop();
      detachMetrics();
      unsubs.forEach((u) => u());
      await hooks.stop();
      await certs?.stop();
      await inFlight.settle(25_000);
      await runtime.stopAll();
    },
  };
}

/**
 * Builds and deploys in progress: on SIGTERM they may finish within a grace period; the rest is handed back (their
 * leases lapse and their unacked work items are redelivered).
 */
function tracker(): { track<T>(work: Promise<T>): Promise<T>; settle(graceMs: number): Promise<void> } {
  const inFlight = new Set<Promise<unknown>>();
  return {
    track(work) {
      inFlight.add(work);
      void work.finally(() => inFlight.delete(work)).catch(() => undefined);
      return work;
    },
    async settle(graceMs) {
      const grace = new Promise((r) => setTimeout(r, graceMs).unref());
      await Promise.race([Promise.allSettled([...inFlight]), grace]);
    },
  };
}

/**
 * Fails, with a clear reason and its status event, work a crash interrupted and nobody will resume. In the
 * embedded mode (no graceSeconds) that is all of it (the push that waited died with the process); on NATS,
 * JetStream redelivers interrupted work items, so only work abandoned for longer than `graceSeconds` is failed.
 */
async function recover(db: Knex, log: Logger, graceSeconds: number | undefined): Promise<void> {
  // Embedded: the leases were held by this process's predecessor, which is gone, even if they have not lapsed yet.
  const stale = (q: Knex.QueryBuilder) => graceSeconds === undefined ? q
    : q.where((w) => w.whereNull('lease_expires_at').orWhere('lease_expires_at', '<', db.raw(`now() - interval '${graceSeconds} seconds'`)));
  await db.transaction(async (trx) => {
    const builds = await stale(trx('builds').where({ status: 'building' }))
      .update({ status: 'failed', error: 'The platform restarted during this build; push again', lease_expires_at: null, finished_at: trx.fn.now() })
      .returning(['id', 'number', 'app_id', 'error']);
    for (const b of builds) {
      const app = await trx('apps').where({ id: b.app_id }).first('name');
      await enqueueEvent(trx, 'buildStatus', { buildId: b.id, app: app.name, number: b.number, status: 'failed', error: b.error }, b.id);
    }
    const releases = await stale(trx('releases').where({ status: 'deploying' }))
      .update({ status: 'failed', error: 'The platform restarted during this deploy', lease_expires_at: null, finished_at: trx.fn.now() })
      .returning(['id', 'version', 'app_id', 'build_id', 'error']);
    for (const r of releases) {
      const app = await trx('apps').where({ id: r.app_id }).first('name');
      const announced = { releaseId: r.id, app: app.name, version: r.version, buildId: r.build_id ?? undefined, status: 'failed', error: r.error };
      await enqueueEvent(trx, 'deployStatus', announced, r.id);
      await enqueueDeliveries(trx, deployEvent(announced));
    }
    const live = await finishInterruptedPostdeploys(trx, graceSeconds);
    if (builds.length || releases.length || live) log.warn({ builds: builds.length, releases: releases.length, postdeploys: live }, 'failed work interrupted by a restart');
  });
}

/**
 * A release that went live but whose postdeploy scripts a crash interrupted (succeeded, still under its deploy's
 * lease: its deploy is never taken over, as it serves) gets the error and its status event, so its push fails saying why. Embedded: all of
 * them; on NATS, those whose lease lapsed (their worker is gone).
 */
async function finishInterruptedPostdeploys(trx: Knex.Transaction, graceSeconds: number | undefined): Promise<number> {
  const error = 'The platform restarted while the postdeploy scripts ran; they may not have finished (the release is live)';
  const q = trx('releases').where({ status: 'succeeded' }).whereNotNull('lease_expires_at');
  const rows = await (graceSeconds === undefined ? q : q.where('lease_expires_at', '<', trx.fn.now()))
    .update({ error, lease_expires_at: null, finished_at: trx.fn.now() }).returning(['id', 'version', 'app_id', 'build_id']);
  for (const r of rows) {
    const app = await trx('apps').where({ id: r.app_id }).first('name');
    const announced = { releaseId: r.id, app: app.name, version: r.version, buildId: r.build_id ?? undefined, status: 'succeeded', error };
    await enqueueEvent(trx, 'deployStatus', announced, r.id);
    await enqueueDeliveries(trx, deployEvent(announced));
  }
  return rows.length;
}

/** Brings every app's current release back up after a platform restart (the cluster keeps them up by itself). */
async function restoreApps(db: Knex, config: Config, runtime: RuntimeDriver, log: Logger): Promise<void> {
  const apps = (await db('apps').whereNotNull('current_release_id')) as AppRow[];
  for (const app of apps) {
    const spec = (await liveSpec(db, config, app))!;
    try {
      await runtime.setDomains(app.name, spec.domains ?? [], spec);
      await runtime.restore(spec, (line) => log.info({ app: app.name, line }, 'restore'));
    } catch (err) {
      log.error({ err, app: app.name }, 'could not restart the current release');
    }
  }
}

/** Writes what runs into the processes table, so `ps` works from any process (the local CLI included). */
async function snapshotProcesses(db: Knex, runtime: RuntimeDriver): Promise<void> {
  const apps = (await db('apps').select('name')).map((a) => a.name as string);
  const statuses = await runtime.statusAll(apps);
  await db.transaction(async (trx) => {
    await trx('processes').delete();
    const rows = statuses.map((p) => ({
      app: p.app, type: p.type, index: p.index, version: p.version, state: p.state, pid: p.pid ?? null, port: p.port ?? null, restarts: p.restarts, since: p.since, reason: p.reason ?? null,
    }));
    if (rows.length) await trx('processes').insert(rows);
  });
}
