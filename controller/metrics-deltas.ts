// controller/metrics-deltas.ts — turns the runtime's cumulative counters (router traffic, process CPU, restart
// counts) into what happened since the previous reading; pure, so the sampler (metrics-sampler.ts) stays I/O only.
import type { AppTraffic, RouterStats } from '../runtime/router.ts';
import type { ProcessStatus } from '../runtime/types.ts';
import type { ProcessUsage } from '../runtime/usage.ts';

/** One app's traffic over an interval; `latencyCounts` per bucket (not cumulative), LATENCY_BOUNDS' order. */
export interface TrafficDelta {
  r1xx: number; r2xx: number; r3xx: number; r4xx: number; r5xx: number;
  latencyCounts: number[]; latencySumMs: number; bytesIn: number; bytesOut: number;
}

/** One process type's usage over an interval: CPU used, memory and instances at its end, restarts in it. */
export interface TypeDelta { cpuSeconds: number; memoryBytes: number; instances: number; restarts: number }

/** Cumulative-by-bound histogram counts to per-bucket counts. */
export function toBucketCounts(cumulative: readonly number[]): number[] {
  return cumulative.map((n, i) => n - (i === 0 ? 0 : cumulative[i - 1]!));
}

/** True when any counter went down: the router's engine restarted, so its counters began again from zero. */
function wasReset(prev: AppTraffic, cur: AppTraffic): boolean {
  const classes = Object.keys(cur.responses) as Array<keyof AppTraffic['responses']>;
  return cur.latencyMs.count < prev.latencyMs.count || cur.bytesIn < prev.bytesIn || cur.bytesOut < prev.bytesOut
    || classes.some((c) => cur.responses[c] < prev.responses[c])
    || cur.latencyMs.counts.some((n, i) => n < (prev.latencyMs.counts[i] ?? 0));
}

/** The traffic of one app since `prev` (no prev, or a reset: all of `cur` is new). */
export function trafficDelta(prev: AppTraffic | undefined, cur: AppTraffic): TrafficDelta {
  const base = prev && !wasReset(prev, cur) ? prev : undefined;
  const before = (n: number | undefined) => (base ? (n ?? 0) : 0);
  const curBuckets = toBucketCounts(cur.latencyMs.counts);
  const prevBuckets = base ? toBucketCounts(base.latencyMs.counts) : [];
  const r = cur.responses;
  const p = base?.responses;
  return {
    r1xx: r['1xx'] - before(p?.['1xx']), r2xx: r['2xx'] - before(p?.['2xx']), r3xx: r['3xx'] - before(p?.['3xx']),
    r4xx: r['4xx'] - before(p?.['4xx']), r5xx: r['5xx'] - before(p?.['5xx']),
    latencyCounts: curBuckets.map((n, i) => n - before(prevBuckets[i])),
    latencySumMs: cur.latencyMs.sum - before(base?.latencyMs.sum),
    bytesIn: cur.bytesIn - before(base?.bytesIn), bytesOut: cur.bytesOut - before(base?.bytesOut),
  };
}

/** Whether anything went through the router for the app in the interval (apps without traffic get no row). */
export function hasTraffic(d: TrafficDelta): boolean {
  return d.r1xx + d.r2xx + d.r3xx + d.r4xx + d.r5xx > 0 || d.latencyCounts.some((n) => n > 0) || d.bytesIn > 0 || d.bytesOut > 0;
}

/** Every app's traffic since the previous reading; apps the router no longer counts are left out. */
export function trafficDeltas(prev: RouterStats | undefined, cur: RouterStats): Map<string, TrafficDelta> {
  const out = new Map<string, TrafficDelta>();
  for (const [app, traffic] of Object.entries(cur.apps)) out.set(app, trafficDelta(prev?.apps[app], traffic));
  return out;
}

/** The key of one process type of one app. */
export function typeKey(app: string, type: string): string {
  return `${app}\u0000${type}`;
}

/** The key of one run of one instance: a restarted one (new `instance`) is a new counter. */
function runKey(u: ProcessUsage): string {
  return `${u.app}\u0000${u.type}\u0000${u.index}\u0000${u.instance}`;
}

/** What a reading of usage leaves for the next: each run's CPU counter and when it was last seen. */
export type UsageMemory = Map<string, { cpuSeconds: number; tick: number }>;

/** How many readings a run (or an instance's restart count) not reported is remembered, so it does not count twice. */
export const FORGET_AFTER_TICKS = 6;

/** The reading being compared: its number (0: the first, a baseline) and when the previous one was taken (epoch ms). */
export interface Reading { tick: number; previousAt?: number }

/**
 * CPU a run new to the memory used in the interval: all of it when it started after the previous reading, else
 * nothing (a baseline): the first reading, a run missed for longer than the memory keeps it (stats timed out), a
 * container adopted late, or a switch of counter (cgroup to /proc) may have hours behind them.
 */
function firstSeenCpu(u: ProcessUsage, at: Reading): number {
  return at.tick > 0 && at.previousAt !== undefined && u.startedAt > at.previousAt ? u.cpuSeconds : 0;
}

/**
 * CPU used per instance run since the previous reading; `memory` is updated in place (the sampler passes a copy and
 * keeps it once the rows are written). A counter that went down under the same run (a process of a shrinking tree
 * ended, and its parent had not waited for it) counts nothing and is the new baseline.
 */
export function cpuDeltas(memory: UsageMemory, at: Reading, usage: readonly ProcessUsage[]): Map<ProcessUsage, number> {
  const out = new Map<ProcessUsage, number>();
  for (const u of usage) {
    const key = runKey(u);
    const seen = memory.get(key);
    out.set(u, seen === undefined ? firstSeenCpu(u, at) : Math.max(0, u.cpuSeconds - seen.cpuSeconds));
    memory.set(key, { cpuSeconds: u.cpuSeconds, tick: at.tick });
  }
  for (const [key, seen] of memory) if (at.tick - seen.tick > FORGET_AFTER_TICKS) memory.delete(key);
  return out;
}

/** Each instance's restart count, by app, type, index and release, and the reading it was last seen at. */
export type RestartMemory = Map<string, { restarts: number; tick: number }>;

/**
 * Restarts new since the previous reading, per app and type; `memory` is updated in place. An instance seen for the
 * first time counts all its restarts, except at the first reading (`tick` 0, the baseline). An instance missing from
 * a reading is remembered FORGET_AFTER_TICKS readings, so its restarts are not counted again when it is back.
 */
export function restartDeltas(memory: RestartMemory, tick: number, statuses: readonly ProcessStatus[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of statuses) {
    const key = `${s.app}\u0000${s.type}\u0000${s.index}\u0000${s.version}\u0000${s.name ?? ''}`;
    const before = memory.get(key)?.restarts ?? (tick === 0 ? s.restarts : 0);
    const k = typeKey(s.app, s.type);
    out.set(k, (out.get(k) ?? 0) + Math.max(0, s.restarts - before));
    memory.set(key, { restarts: s.restarts, tick });
  }
  for (const [key, seen] of memory) if (tick - seen.tick > FORGET_AFTER_TICKS) memory.delete(key);
  return out;
}

/**
 * Per app and type: CPU used in the interval, memory and instances now (from the usage reading), and restarts.
 * Types with processes in the status but none readable (crashed) still get their restarts and 0 instances.
 */
export function typeDeltas(usage: readonly ProcessUsage[], cpu: Map<ProcessUsage, number>, restarts: Map<string, number>): Map<string, TypeDelta> {
  const out = new Map<string, TypeDelta>();
  const of = (k: string) => {
    let d = out.get(k);
    if (!d) out.set(k, (d = { cpuSeconds: 0, memoryBytes: 0, instances: 0, restarts: 0 }));
    return d;
  };
  for (const u of usage) {
    const d = of(typeKey(u.app, u.type));
    d.cpuSeconds += cpu.get(u) ?? 0;
    d.memoryBytes += u.memoryBytes;
    d.instances += 1;
  }
  for (const [k, n] of restarts) of(k).restarts += n;
  return out;
}
