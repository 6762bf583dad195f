// controller/metrics-sampler.ts — the controller's sampler: every PAAS_METRICS_SAMPLE_MS it reads the router's
// traffic counters and the runtime's process usage and restart counts, writes what changed into the app_metrics ring
// (metrics-store.ts), and puts the usage on the board /metrics reads. Started by controller.ts where the runtime has
// a router or a usage source (local and Docker modes); docs/metrics-sampling.md says what is kept.
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import type { RuntimeDriver } from '../runtime/driver.ts';
import type { Router, RouterStats } from '../runtime/router.ts';
import type { UsageBoard, UsageSource } from '../runtime/usage.ts';
import { cpuDeltas, hasTraffic, restartDeltas, trafficDeltas, typeDeltas, type RestartMemory, type UsageMemory } from './metrics-deltas.ts';
import { RESOLUTIONS, addFineRows, bucketStart, rollUp, trim, type FineRow } from './metrics-store.ts';

export interface SamplerDeps {
  db: Knex;
  runtime: Pick<RuntimeDriver, 'statusAll'>;
  router?: Pick<Router, 'stats'>;
  usage?: UsageSource;
  board: UsageBoard;
  intervalMs: number;
  log: Logger;
  /** The clock (epoch ms); tests move it to check buckets and the trim. */
  now?: () => number;
}

export interface MetricsSampler {
  /** One reading and its writes; what the timer runs (tests call it directly). */
  tick(): Promise<void>;
  /** Stops the timer and waits for a tick in progress. */
  stop(): Promise<void>;
}

/** The readings a tick compares against. */
interface Previous { traffic?: RouterStats; usage: UsageMemory; restarts: RestartMemory; ticks: number }

/** The app ids of the names; apps destroyed meanwhile are not in it (their counters are dropped). */
async function appIds(db: Knex, names: readonly string[]): Promise<Map<string, number>> {
  if (names.length === 0) return new Map();
  const rows = await db('apps').whereIn('name', [...new Set(names)]).select('id', 'name');
  return new Map(rows.map((r: { id: number; name: string }) => [r.name, r.id]));
}

/** Reads the router and the runtime, and turns the readings into the 10 s rows of this sample. */
async function sample(deps: SamplerDeps, prev: Previous, now: number): Promise<FineRow[]> {
  const apps = (await deps.db('apps').select('name')).map((a: { name: string }) => a.name);
  const [traffic, usage, statuses] = await Promise.all([
    deps.router?.stats(), deps.usage ? deps.usage.usage(apps) : [], deps.usage ? deps.runtime.statusAll(apps) : [],
  ]);
  deps.board.set(usage, now);
  const first = prev.ticks === 0;
  const types = typeDeltas(usage, cpuDeltas(prev.usage, prev.ticks, usage), restartDeltas(prev.restarts, first, statuses));
  const perApp = traffic ? trafficDeltas(prev.traffic, traffic) : new Map();
  if (traffic) prev.traffic = traffic;
  prev.ticks += 1;
  const ids = await appIds(deps.db, [...perApp.keys(), ...usage.map((u) => u.app), ...statuses.map((s) => s.app)]);
  const at = bucketStart(now, RESOLUTIONS.fine);
  const rows: FineRow[] = [];
  for (const [app, d] of perApp) {
    const appId = ids.get(app);
    if (appId !== undefined && hasTraffic(d)) rows.push({ appId, type: '', at, ...d });
  }
  for (const [key, d] of types) {
    const [app, type] = key.split('\u0000') as [string, string];
    const appId = ids.get(app);
    if (appId !== undefined && type !== '') rows.push({ appId, type, at, ...d });
  }
  return rows;
}

/** Starts sampling every deps.intervalMs; ticks never overlap (the next is scheduled when one ends). */
export function startMetricsSampler(deps: SamplerDeps): MetricsSampler {
  const now = deps.now ?? Date.now;
  const prev: Previous = { usage: new Map(), restarts: new Map(), ticks: 0 };
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = (): Promise<void> => {
    running ??= (async () => {
      const at = now();
      await addFineRows(deps.db, await sample(deps, prev, at));
      // This minute and the one before: the previous minute's last 10 s bucket may have been written just now.
      const minute = bucketStart(at, RESOLUTIONS.coarse).getTime();
      await rollUp(deps.db, new Date(minute - RESOLUTIONS.coarse * 1000), new Date(minute + RESOLUTIONS.coarse * 1000));
      await trim(deps.db, at);
    })().finally(() => { running = undefined; });
    return running;
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      // Background sampling: a failed tick (the database away a moment) is logged, and the next one tries again.
      void tick().catch((err: unknown) => deps.log.warn({ err }, 'metrics sample failed')).finally(schedule);
    }, deps.intervalMs);
  };
  schedule();
  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
