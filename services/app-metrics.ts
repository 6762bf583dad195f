// services/app-metrics.ts — reads an app's own time series (app_metrics, written by the controller's sampler) into
// series on a fixed time axis for the dashboard's Metrics tab: traffic, latency, errors, usage per process type, deploys.
import type { Knex } from 'knex';
import { LATENCY_BOUNDS } from '../core/latency-bounds.ts';

/** The windows the Metrics tab offers, with the resolution of the rows each reads. */
export const METRIC_WINDOWS = { '1h': { resolution: 10, span: 3600 }, '24h': { resolution: 60, span: 86_400 } } as const;
export type MetricWindow = keyof typeof METRIC_WINDOWS;

/** True when s names a window (a query-string value, so checked as a set member, not a prefix). */
export function isMetricWindow(s: unknown): s is MetricWindow {
  return typeof s === 'string' && Object.hasOwn(METRIC_WINDOWS, s);
}

/** A value per point of the axis; null is a gap (no row, or nothing to measure in that bucket). */
export type Values = Array<number | null>;

export interface ProcessSeries { type: string; memoryBytes: Values; cpuCores: Values; restarts: Values; instances: Values }
export interface DeployMarker { version: number; status: string; at: Date }

export interface AppMetrics {
  window: MetricWindow;
  resolution: number;
  /** Bucket starts, oldest first, every `resolution` seconds; the last one is the bucket now being sampled. */
  times: Date[];
  /** Requests per second by status class (0 where no row: the app served nothing). */
  requests: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', Values>;
  p50Ms: Values;
  p95Ms: Values;
  /** Share of the bucket's requests that answered 5xx, in percent (null without requests). */
  errorPercent: Values;
  processes: ProcessSeries[];
  deploys: DeployMarker[];
  /** True when the window holds no row at all (nothing recorded yet). */
  empty: boolean;
}

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

interface Row {
  type: string; at: Date; r1xx: number; r2xx: number; r3xx: number; r4xx: number; r5xx: number;
  latency_counts: number[] | null; cpu_seconds: number; memory_bytes: number; instances: number; restarts: number;
}

/**
 * The latency under which a share q of the bucket's requests finished, from its non-cumulative bucket counts,
 * interpolated linearly inside the bucket it falls in; null without counts (no requests, or none timed). Requests over
 * the last bound (counted in `total` but in no bucket) read as the last bound.
 */
export function latencyQuantile(counts: readonly number[], q: number, bounds: readonly number[] = LATENCY_BOUNDS, total?: number): number | null {
  const inBuckets = counts.reduce((a, b) => a + b, 0);
  if (inBuckets <= 0) return null;
  const n = Math.max(inBuckets, total ?? 0);
  const rank = q * n;
  let below = 0;
  for (let i = 0; i < bounds.length; i++) {
    const c = counts[i] ?? 0;
    if (c > 0 && below + c >= rank) {
      const lo = i === 0 ? 0 : bounds[i - 1]!;
      return lo + (bounds[i]! - lo) * ((rank - below) / c);
    }
    below += c;
  }
  return bounds[bounds.length - 1]!;
}

/** The axis of a window ending now: `span / resolution` bucket starts, aligned on the resolution. */
export function axisOf(window: MetricWindow, now: Date): Date[] {
  const { resolution, span } = METRIC_WINDOWS[window];
  const step = resolution * 1000;
  const last = Math.floor(now.getTime() / step) * step;
  const n = span / resolution;
  return Array.from({ length: n }, (_, i) => new Date(last - (n - 1 - i) * step));
}

const totalOf = (r: Row): number => r.r1xx + r.r2xx + r.r3xx + r.r4xx + r.r5xx;

function trafficSeries(times: Date[], rows: Map<number, Row>, resolution: number) {
  const at = (t: Date) => rows.get(t.getTime());
  const rate = (col: 'r1xx' | 'r2xx' | 'r3xx' | 'r4xx' | 'r5xx'): Values => times.map((t) => (at(t)?.[col] ?? 0) / resolution);
  const requests = { '1xx': rate('r1xx'), '2xx': rate('r2xx'), '3xx': rate('r3xx'), '4xx': rate('r4xx'), '5xx': rate('r5xx') };
  const quantile = (q: number): Values => times.map((t) => {
    const r = at(t);
    return r ? latencyQuantile(r.latency_counts ?? [], q, LATENCY_BOUNDS, totalOf(r)) : null;
  });
  const errorPercent = times.map((t) => {
    const r = at(t);
    return r && totalOf(r) > 0 ? (100 * r.r5xx) / totalOf(r) : null;
  });
  return { requests, p50Ms: quantile(0.5), p95Ms: quantile(0.95), errorPercent };
}

function processSeries(times: Date[], rows: Row[], resolution: number): ProcessSeries[] {
  const byType = new Map<string, Map<number, Row>>();
  for (const r of rows) {
    if (r.type === '') continue;
    if (!byType.has(r.type)) byType.set(r.type, new Map());
    byType.get(r.type)!.set(r.at.getTime(), r);
  }
  return [...byType.keys()].sort().map((type) => {
    const m = byType.get(type)!;
    const pick = (f: (r: Row) => number): Values => times.map((t) => { const r = m.get(t.getTime()); return r ? f(r) : null; });
    return {
      type, memoryBytes: pick((r) => r.memory_bytes), cpuCores: pick((r) => r.cpu_seconds / resolution),
      restarts: times.map((t) => m.get(t.getTime())?.restarts ?? 0), instances: pick((r) => r.instances),
    };
  });
}

/** The app's series over the last hour (10 s buckets) or day (1 min buckets), with the releases finished in it. */
export async function readAppMetrics(db: Knex, appId: number, window: MetricWindow, now = new Date()): Promise<AppMetrics> {
  const { resolution } = METRIC_WINDOWS[window];
  const times = axisOf(window, now);
  const from = times[0]!, to = new Date(times[times.length - 1]!.getTime() + resolution * 1000);
  const [raw, releases] = await Promise.all([
    db('app_metrics').where({ app_id: appId, resolution }).where('at', '>=', from).where('at', '<', to).orderBy('at'),
    db('releases').where({ app_id: appId }).whereNotNull('finished_at').where('finished_at', '>=', from).where('finished_at', '<', to)
      .orderBy('finished_at').select('version', 'status', 'finished_at'),
  ]);
  // Keyed by the bucket the row's start falls in, so a sampler a few ms off the boundary still lands on the axis.
  const step = resolution * 1000;
  const rows: Row[] = raw.map((r: Record<string, unknown>) => ({ ...r, at: new Date(Math.floor(new Date(r.at as Date).getTime() / step) * step) }) as Row);
  const traffic = new Map(rows.filter((r) => r.type === '').map((r) => [r.at.getTime(), r]));
  return {
    window, resolution, times, ...trafficSeries(times, traffic, resolution),
    processes: processSeries(times, rows, resolution),
    deploys: releases.map((r: { version: number; status: string; finished_at: Date }) => ({ version: r.version, status: r.status, at: new Date(r.finished_at) })),
    empty: rows.length === 0,
  };
}
