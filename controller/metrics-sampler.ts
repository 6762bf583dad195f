// controller/metrics-sampler.ts — the controller's sampler: every PAAS_METRICS_SAMPLE_MS (on the clock) it reads the router's
// traffic counters and the runtime's process usage and restart counts, writes what changed into the app_metrics ring
// (metrics-store.ts), and puts the usage on the board /metrics reads. Started by controller.ts where the runtime has
// a router or a usage source (local and Docker modes); docs/metrics-sampling.md says what is kept.
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import type { RuntimeDriver } from '../runtime/driver.ts';
import type { Router, RouterStats } from '../runtime/router.ts';
import type { UsageBoard, UsageSource } from '../runtime/usage.ts';
import { cpuDeltas, hasTraffic, restartDeltas, trafficDeltas, typeDeltas, type RestartMemory, type TrafficDelta, type TypeDelta, type UsageMemory } from './metrics-deltas.ts';
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
  /** Stops the timer, abandons a tick's reading in progress (stats calls) and waits for the tick to end. */
  stop(): Promise<void>;
}

/** The readings a tick compares against; replaced (not changed) by a tick, and only once its rows are written. */
interface Previous { traffic?: RouterStats; usage: UsageMemory; restarts: RestartMemory; ticks: number; at?: number }

/** A little past each interval boundary, so a tick's clock reading is in the new bucket whatever timers' jitter. */
export const TICK_SLACK_MS = 20;

/** How long until the next tick: the next multiple of the interval on the wall clock, so every bucket gets its ticks. */
export function nextTickDelay(now: number, intervalMs: number): number {
  return intervalMs - ((now - TICK_SLACK_MS) % intervalMs + intervalMs) % intervalMs;
}

/** Every app's id by name (one query); apps destroyed meanwhile are not in it, so their counters are dropped. */
async function appIds(db: Knex): Promise<Map<string, number>> {
  const rows = await db('apps').select('id', 'name');
  return new Map(rows.map((r: { id: number; name: string }) => [r.name, r.id]));
}

/** The 10 s rows of the deltas, for apps that still exist (types '' with traffic, process types always). */
function toRows(ids: Map<string, number>, at: Date, perApp: Map<string, TrafficDelta>, types: Map<string, TypeDelta>): FineRow[] {
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

/** Reads the router and the runtime: the 10 s rows of this sample, and what the next tick compares against. */
async function sample(deps: SamplerDeps, prev: Previous, now: number, signal: AbortSignal): Promise<{ rows: FineRow[]; next: Previous }> {
  const ids = await appIds(deps.db);
  const apps = [...ids.keys()];
  const [traffic, usage, statuses] = await Promise.all([
    deps.router?.stats(), deps.usage ? deps.usage.usage(apps, signal) : [], deps.usage ? deps.runtime.statusAll(apps) : [],
  ]);
  signal.throwIfAborted();
  deps.board.set(usage, now);
  // Copies: if the write fails, the next tick compares against the same readings and counts both intervals.
  const next: Previous = { traffic: traffic ?? prev.traffic, usage: new Map(prev.usage), restarts: new Map(prev.restarts), ticks: prev.ticks + 1, at: now };
  const cpu = cpuDeltas(next.usage, { tick: prev.ticks, previousAt: prev.at }, usage);
  const types = typeDeltas(usage, cpu, restartDeltas(next.restarts, prev.ticks, statuses));
  const perApp = traffic ? trafficDeltas(prev.traffic, traffic) : new Map<string, TrafficDelta>();
  return { rows: toRows(ids, bucketOf(prev.at, now), perApp, types), next };
}

/**
 * The 10 s bucket a tick's rows are filed under: the one holding the midpoint of the interval it measured, so a tick
 * 20 ms past a boundary files [T-10 s, T] under T-10 s, not T. Gauges (memory, instances) go there too: one rule for
 * a tick's rows. The first tick (no previous reading) uses its own time.
 */
export function bucketOf(previousAt: number | undefined, now: number): Date {
  return bucketStart(previousAt === undefined ? now : (previousAt + now) / 2, RESOLUTIONS.fine);
}

/** How far back a rollup that kept failing is caught up. */
const ROLLUP_CATCH_UP_MS = 60 * 60 * 1000;

/**
 * Starts sampling on the wall clock's multiples of deps.intervalMs (at most 10 s: each 10 s bucket gets its samples);
 * ticks never overlap (one that overruns skips to the next boundary).
 */
export function startMetricsSampler(deps: SamplerDeps): MetricsSampler {
  const now = deps.now ?? Date.now;
  let prev: Previous = { usage: new Map(), restarts: new Map(), ticks: 0 };
  // Minutes before this one are rolled up for good; undefined before the first rollup (then the previous minute is).
  let rolledTo: number | undefined;
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  const rollUpSince = async (at: number) => {
    const minute = bucketStart(at, RESOLUTIONS.coarse).getTime();
    const from = Math.max(rolledTo ?? minute - RESOLUTIONS.coarse * 1000, minute - ROLLUP_CATCH_UP_MS);
    await rollUp(deps.db, new Date(from), new Date(minute + RESOLUTIONS.coarse * 1000));
    rolledTo = minute;
  };
  const tick = (): Promise<void> => {
    running ??= (async () => {
      const at = now();
      const { rows, next } = await sample(deps, prev, at, abort.signal);
      await addFineRows(deps.db, rows);
      prev = next;
      await rollUpSince(at);
      await trim(deps.db, at);
    })().catch((err: unknown) => {
      // Stopping abandoned the reading (its stats calls were aborted): the controller is going away, nothing is lost.
      if (!abort.signal.aborted) throw err;
    }).finally(() => { running = undefined; });
    return running;
  };
  const schedule = () => {
    if (abort.signal.aborted) return;
    timer = setTimeout(() => {
      // Background sampling: a failed tick (the database away a moment) is logged, and the next one tries again.
      void tick().catch((err: unknown) => deps.log.warn({ err }, 'metrics sample failed')).finally(schedule);
    }, nextTickDelay(Date.now(), deps.intervalMs)); // the real clock: timers run on it, whatever deps.now says
  };
  schedule();
  return {
    tick,
    async stop() {
      abort.abort();
      clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
