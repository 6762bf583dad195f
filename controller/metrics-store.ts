// controller/metrics-store.ts — writes the app_metrics ring (migration 010's contract): 10 s rows added into
// (several samples may land in one bucket), 60 s rows recomputed from them, and the trim past an hour and a day.
// The sampler (metrics-sampler.ts) calls it each tick; services/app-metrics.ts reads the rows for the dashboard.
import type { Knex } from 'knex';
import type { TrafficDelta, TypeDelta } from './metrics-deltas.ts';

/** The two resolutions, in seconds, and how long rows of each are kept. */
export const RESOLUTIONS = { fine: 10, coarse: 60 } as const;
export const KEEP_MS = { fine: 60 * 60 * 1000, coarse: 24 * 60 * 60 * 1000 } as const;

/** The start of the bucket holding `at`, for a resolution in seconds. */
export function bucketStart(at: number, seconds: number): Date {
  return new Date(Math.floor(at / (seconds * 1000)) * seconds * 1000);
}

/** One 10 s row: '' type with traffic, or a process type with usage. */
export type FineRow = { appId: number; type: string; at: Date } & (TrafficDelta | TypeDelta);

const counters = ['r1xx', 'r2xx', 'r3xx', 'r4xx', 'r5xx', 'latency_sum_ms', 'bytes_in', 'bytes_out', 'cpu_seconds', 'restarts'] as const;

function toColumns(row: FineRow): Record<string, unknown> {
  const base = { app_id: row.appId, type: row.type, resolution: RESOLUTIONS.fine, at: row.at };
  if ('r2xx' in row) {
    return {
      ...base, r1xx: row.r1xx, r2xx: row.r2xx, r3xx: row.r3xx, r4xx: row.r4xx, r5xx: row.r5xx,
      latency_counts: row.latencyCounts, latency_sum_ms: row.latencySumMs, bytes_in: row.bytesIn, bytes_out: row.bytesOut,
    };
  }
  return { ...base, cpu_seconds: row.cpuSeconds, memory_bytes: row.memoryBytes, instances: row.instances, restarts: row.restarts };
}

/**
 * Adds the rows into their 10 s buckets: counters (and latency counts, element by element) add up, memory and
 * instances are the latest sample's (the bucket's end), so a sample interval shorter than 10 s stays right.
 */
export async function addFineRows(db: Knex, rows: readonly FineRow[]): Promise<void> {
  if (rows.length === 0) return;
  const merge: Record<string, Knex.Raw> = Object.fromEntries(counters.map((c) => [c, db.raw(`app_metrics.${c} + excluded.${c}`)]));
  merge.memory_bytes = db.raw('excluded.memory_bytes');
  merge.instances = db.raw('excluded.instances');
  merge.latency_counts = db.raw(`CASE WHEN app_metrics.latency_counts IS NULL THEN excluded.latency_counts
    WHEN excluded.latency_counts IS NULL THEN app_metrics.latency_counts
    ELSE ARRAY(SELECT coalesce(a, 0) + coalesce(b, 0) FROM unnest(app_metrics.latency_counts, excluded.latency_counts) WITH ORDINALITY AS u(a, b, i) ORDER BY i) END`);
  await db('app_metrics').insert(rows.map(toColumns)).onConflict(['app_id', 'resolution', 'type', 'at']).merge(merge);
}

/**
 * Recomputes the 60 s rows of the minutes from `from` to `to` (exclusive) out of their 10 s rows: counters summed,
 * latency counts summed per bucket, memory and instances those of the minute's last 10 s row. Recomputing (not
 * adding) makes a second run over the same minute harmless.
 */
export async function rollUp(db: Knex, from: Date, to: Date): Promise<void> {
  const sums = counters.map((c) => `sum(${c}) AS ${c}`).join(', ');
  const set = [...counters, 'memory_bytes', 'instances', 'latency_counts'].map((c) => `${c} = excluded.${c}`).join(', ');
  const cols = [...counters, 'memory_bytes', 'instances'].join(', ');
  await db.raw(`
    WITH src AS (
      SELECT *, to_timestamp(floor(extract(epoch FROM at) / 60) * 60) AS minute FROM app_metrics
      WHERE resolution = ${RESOLUTIONS.fine} AND at >= ? AND at < ?
    ), per_bucket AS (
      SELECT app_id, type, minute, i, sum(v) AS n FROM src, unnest(src.latency_counts) WITH ORDINALITY AS u(v, i)
      GROUP BY app_id, type, minute, i
    ), lat AS (
      SELECT app_id, type, minute, array_agg(n ORDER BY i) AS latency_counts FROM per_bucket GROUP BY app_id, type, minute
    ), agg AS (
      SELECT app_id, type, minute, ${sums},
        (array_agg(memory_bytes ORDER BY at DESC))[1] AS memory_bytes, (array_agg(instances ORDER BY at DESC))[1] AS instances
      FROM src GROUP BY app_id, type, minute
    )
    INSERT INTO app_metrics (app_id, type, resolution, at, ${cols}, latency_counts)
    SELECT agg.app_id, agg.type, ${RESOLUTIONS.coarse}, agg.minute, ${cols.split(', ').map((c) => `agg.${c}`).join(', ')}, lat.latency_counts
    FROM agg LEFT JOIN lat USING (app_id, type, minute)
    ON CONFLICT (app_id, resolution, type, at) DO UPDATE SET ${set}`, [from, to]);
}

/** Removes 10 s rows older than an hour and 60 s rows older than a day, as of `now`. */
export async function trim(db: Knex, now: number): Promise<number> {
  return db('app_metrics')
    .where((w) => w.where('resolution', RESOLUTIONS.fine).andWhere('at', '<', new Date(now - KEEP_MS.fine)))
    .orWhere((w) => w.where('resolution', RESOLUTIONS.coarse).andWhere('at', '<', new Date(now - KEEP_MS.coarse)))
    .delete();
}
