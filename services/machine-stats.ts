// services/machine-stats.ts — what the admin page shows about the machine and the busiest apps: load, memory, the
// data dir's disk (os and statfs), and the top apps by CPU, memory and requests over the last hour (app_metrics).
import fs from 'node:fs/promises';
import os from 'node:os';
import type { Knex } from 'knex';

export interface MachineStats {
  load: [number, number, number]; cpus: number;
  memory: { total: number; free: number; usedPercent: number };
  /** The file system holding the data dir; undefined when it cannot be read (the page says so). */
  disk: { total: number; free: number; usedPercent: number } | undefined;
}

const percent = (used: number, total: number): number => (total > 0 ? Math.round((100 * used) / total) : 0);

/** The machine's load averages, memory and the data dir's file system. */
export async function machineStats(dataDir: string): Promise<MachineStats> {
  const [l1, l5, l15] = os.loadavg() as [number, number, number];
  const total = os.totalmem(), free = os.freemem();
  let disk: MachineStats['disk'];
  try {
    const s = await fs.statfs(dataDir);
    const size = s.blocks * s.bsize, avail = s.bavail * s.bsize;
    disk = { total: size, free: avail, usedPercent: percent(size - avail, size) };
  } catch {
    disk = undefined; // e.g. the data dir was removed under us: the page shows "unknown", the rest still renders
  }
  return { load: [l1, l5, l15], cpus: os.cpus().length, memory: { total, free, usedPercent: percent(total - free, total) }, disk };
}

export interface TopApp { name: string; value: number }
export interface TopApps { cpu: TopApp[]; memory: TopApp[]; requests: TopApp[] }

/** How far back "memory now" looks for each process type's latest row: a type sampled in it is running. */
const MEMORY_NOW_MS = 2 * 60_000;

/**
 * The `limit` busiest apps of the last hour: average CPU cores and requests served (from the 60 s rows: a sixth of
 * the 10 s ones), and memory now (each process type's latest 10 s row of the last 2 minutes, summed per app: types
 * are sampled apart, so their latest rows need not share a bucket); apps with none are left out.
 */
export async function topApps(db: Knex, limit = 5, now = new Date()): Promise<TopApps> {
  const since = new Date(now.getTime() - 3_600_000);
  const recent = () => db('app_metrics as m').join('apps as a', 'a.id', 'm.app_id').where('m.resolution', 60).where('m.at', '>=', since);
  const [cpu, requests, memory] = await Promise.all([
    recent().whereNot('m.type', '').groupBy('a.name').select('a.name', db.raw('sum(m.cpu_seconds) / 3600.0 as value'))
      .havingRaw('sum(m.cpu_seconds) > 0').orderBy('value', 'desc').limit(limit),
    recent().where('m.type', '').groupBy('a.name').select('a.name', db.raw('sum(m.r1xx + m.r2xx + m.r3xx + m.r4xx + m.r5xx) as value'))
      .havingRaw('sum(m.r1xx + m.r2xx + m.r3xx + m.r4xx + m.r5xx) > 0').orderBy('value', 'desc').limit(limit),
    db.with('latest', (q) => q.from('app_metrics').where('resolution', 10).where('at', '>=', new Date(now.getTime() - MEMORY_NOW_MS))
      .whereNot('type', '').distinctOn('app_id', 'type').orderBy([{ column: 'app_id' }, { column: 'type' }, { column: 'at', order: 'desc' }])
      .select('app_id', 'memory_bytes'))
      .from('latest as m').join('apps as a', 'a.id', 'm.app_id').groupBy('a.name').select('a.name', db.raw('sum(m.memory_bytes) as value'))
      .havingRaw('sum(m.memory_bytes) > 0').orderBy('value', 'desc').limit(limit),
  ]);
  const rows = (r: Array<{ name: string; value: unknown }>): TopApp[] => r.map((x) => ({ name: x.name, value: Number(x.value) }));
  return { cpu: rows(cpu), memory: rows(memory), requests: rows(requests) };
}
