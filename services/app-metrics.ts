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

/** Usage of one process type; counters (CPU, restarts) are null where the type has no row and in the bucket still being sampled. */
export interface ProcessSeries { type: string; memoryBytes: Values; cpuCores: Values; restarts: Values }
export interface DeployMarker { version: number; status: string; at: Date }

export interface AppMetrics {
  window: MetricWindow;
  resolution: number;
  /**
   * Bucket starts, oldest first, every `resolution` seconds; the last one is the bucket now being sampled: its counter
   * series (requests, CPU, restarts) are null there, so a half-filled bucket does not dip the right edge of the charts.
   */
  times: Date[];
  /** Requests per second by status class (0 where no row: the app served nothing). */
  requests: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', Values>;
  /** Per bucket, whether the router recorded traffic in it (a row): "0 requests" versus "nothing recorded". */
  traffic: boolean[];
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
  latency_counts: number[] | null; cpu_seconds: number; memory_bytes: number; restarts: number;
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

const COUNTERS = ['r1xx', 'r2xx', 'r3xx', 'r4xx', 'r5xx', 'cpu_seconds', 'restarts'] as const;
const COLUMNS = ['type', 'at', ...COUNTERS, 'latency_counts', 'memory_bytes'] as const;

/** Adds b into a (same app, type and bucket): counters and latency counts sum, memory is the later row's. */
function mergeInto(a: Row, b: Row): void {
  for (const c of COUNTERS) a[c] = Number(a[c] ?? 0) + Number(b[c] ?? 0);
  if (b.latency_counts) a.latency_counts = a.latency_counts ? a.latency_counts.map((n, i) => n + (b.latency_counts![i] ?? 0)) : [...b.latency_counts];
  a.memory_bytes = b.memory_bytes;
}

/**
 * The rows keyed by type and bucket start. A row is filed under the bucket its `at` falls in (a sampler a few ms off
 * the boundary still lands on the axis); two rows in one bucket are summed, not the last one kept.
 */
function byBucket(raw: Row[], step: number): Map<string, Map<number, Row>> {
  const out = new Map<string, Map<number, Row>>();
  for (const r of [...raw].sort((a, b) => new Date(a.at).getTime() - new Date(b.at).getTime())) {
    const at = Math.floor(new Date(r.at).getTime() / step) * step;
    if (!out.has(r.type)) out.set(r.type, new Map());
    const m = out.get(r.type)!, seen = m.get(at);
    if (seen) mergeInto(seen, r);
    else m.set(at, { ...r, at: new Date(at) });
  }
  return out;
}

function trafficSeries(times: Date[], rows: Map<number, Row>, resolution: number) {
  const at = (t: Date) => rows.get(t.getTime());
  const current = times.length - 1;
  const rate = (col: 'r1xx' | 'r2xx' | 'r3xx' | 'r4xx' | 'r5xx'): Values => times.map((t, i) => (i === current ? null : Number(at(t)?.[col] ?? 0) / resolution));
  const requests = { '1xx': rate('r1xx'), '2xx': rate('r2xx'), '3xx': rate('r3xx'), '4xx': rate('r4xx'), '5xx': rate('r5xx') };
  const traffic = times.map((t, i) => i !== current && at(t) !== undefined);
  const quantile = (q: number): Values => times.map((t) => {
    const r = at(t);
    return r ? latencyQuantile(r.latency_counts ?? [], q, LATENCY_BOUNDS, totalOf(r)) : null;
  });
  const errorPercent = times.map((t) => {
    const r = at(t);
    return r && totalOf(r) > 0 ? (100 * r.r5xx) / totalOf(r) : null;
  });
  return { requests, traffic, p50Ms: quantile(0.5), p95Ms: quantile(0.95), errorPercent };
}

function processSeries(times: Date[], byType: Map<string, Map<number, Row>>, resolution: number): ProcessSeries[] {
  const current = times.length - 1;
  return [...byType.keys()].filter((type) => type !== '').sort().map((type) => {
    const m = byType.get(type)!;
    const pick = (f: (r: Row) => number, gauge: boolean): Values => times.map((t, i) => {
      const r = m.get(t.getTime());
      return r && (gauge || i !== current) ? f(r) : null;
    });
    return {
      type, memoryBytes: pick((r) => Number(r.memory_bytes), true), cpuCores: pick((r) => Number(r.cpu_seconds) / resolution, false),
      restarts: pick((r) => Number(r.restarts), false),
    };
  });
}

/** The app's series over the last hour (10 s buckets) or day (1 min buckets), with the releases finished in it. */
export async function readAppMetrics(db: Knex, appId: number, window: MetricWindow, now = new Date()): Promise<AppMetrics> {
  const { resolution } = METRIC_WINDOWS[window];
  const times = axisOf(window, now);
  const from = times[0]!, to = new Date(times[times.length - 1]!.getTime() + resolution * 1000);
  const [raw, releases] = await Promise.all([
    db('app_metrics').where({ app_id: appId, resolution }).where('at', '>=', from).where('at', '<', to).select(...COLUMNS) as Promise<Row[]>,
    db('releases').where({ app_id: appId }).whereNotNull('finished_at').where('finished_at', '>=', from).where('finished_at', '<', to)
      .orderBy('finished_at').select('version', 'status', 'finished_at'),
  ]);
  const rows = byBucket(raw, resolution * 1000);
  return {
    window, resolution, times, ...trafficSeries(times, rows.get('') ?? new Map(), resolution),
    processes: processSeries(times, rows, resolution),
    deploys: releases.map((r: { version: number; status: string; finished_at: Date }) => ({ version: r.version, status: r.status, at: new Date(r.finished_at) })),
    empty: raw.length === 0,
  };
}
