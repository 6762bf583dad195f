// controller/runtime-events.ts — the controller's handlers of the events that act on running processes (ps:scale,
// ps:autoscale, ps:restart, domains, apps:destroy); subscribed by controller/controller.ts. They wait until the controller has
// restored every app's current release (a restart that came first would find no app), and they treat an error that
// would fail the same way on every redelivery as final: logged with the app, not retried.
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import type { Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import { isPaasError, type ErrorCode } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { listDomains } from '../services/apps.ts';
import { liveSpec } from '../services/release-spec.ts';
import type { RuntimeDriver } from '../runtime/driver.ts';

/** What the handlers use; `restored` settles once restoreApps has brought the apps back after a controller start. */
export interface RuntimeEventDeps {
  db: Knex; bus: Bus; config: Config; runtime: RuntimeDriver; log: Logger;
  restored: Promise<void>;
  /** Local mode's certificates (undefined in Kubernetes mode). */
  certs?: { syncApp(app: string): Promise<void>; removeApp(app: string): void };
}

/** Errors a redelivery would meet again: a web that does not boot, a type the release lacks, a bad quantity, autoscaling outside Kubernetes. */
const FINAL: ErrorCode[] = ['E_RELEASE_BOOT_FAILED', 'E_PROCESS_TYPE_UNKNOWN', 'E_USAGE', 'E_AUTOSCALE_UNAVAILABLE'];

/** Runs an event's runtime work; a final error is logged with the app (the work item is then done), any other is rethrown for a redelivery. */
export async function unlessFinal(log: Logger, app: string, what: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    if (!FINAL.some((code) => isPaasError(err, code))) throw err;
    log.warn({ err, app }, `${what} failed and is not retried (it would fail the same way); the running processes were kept`);
  }
}

/** Subscribes the runtime's event handlers; returns their unsubscribe functions. */
export function subscribeRuntimeEvents(deps: RuntimeEventDeps): Array<() => void> {
  const { db, bus, config, runtime, log, restored, certs } = deps;
  return [
    bus.subscribe('paas.app.destroyed', async (_s, p) => {
      await restored; // else the restore could bring back what this stops
      await runtime.stop(String(p.app));
      fs.rmSync(path.join(config.dataDir, 'apps', String(p.app)), { recursive: true, force: true });
      await db('processes').where({ app: p.app }).delete();
      certs?.removeApp(String(p.app));
    }, { durable: 'controller-destroys' }),
    bus.subscribe('paas.formation.updated', async (_s, p) => {
      await restored;
      await unlessFinal(log, String(p.app), 'ps:scale', () => runtime.scale(String(p.app), p.quantities as Record<string, number>));
    }, { durable: 'controller-formation' }),
    bus.subscribe('paas.autoscaling.updated', async (_s, p) => {
      await restored;
      // The whole app's autoscaling as stored now (not the event's one type): a late or repeated event applies the latest.
      const app = (await db('apps').where({ name: p.app }).first()) as AppRow | undefined;
      if (app) await unlessFinal(log, app.name, 'ps:autoscale', async () => runtime.autoscale(app.name, await liveSpec(db, config, app)));
    }, { durable: 'controller-autoscaling' }),
    bus.subscribe('paas.processes.restart', async (_s, p) => {
      const app = String(p.app);
      await restored;
      // A restart whose new web did not boot left the old processes serving (the app's log says why).
      await unlessFinal(log, app, 'ps:restart', () => runtime.restart(app, p.type === undefined ? undefined : String(p.type), (line) => log.info({ app, line }, 'restart')));
    }, { durable: 'controller-restarts' }),
    bus.subscribe('paas.domains.updated', async (_s, p) => {
      await restored;
      const app = (await db('apps').where({ name: p.app }).first()) as AppRow | undefined;
      if (app) await runtime.setDomains(app.name, await listDomains(db, app.id), await liveSpec(db, config, app));
      await certs?.syncApp(String(p.app));
    }, { durable: 'controller-domains' }),
  ];
}
