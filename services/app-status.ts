// services/app-status.ts — one word for how an app is doing (running, building, failed, down, no release),
// with its current release and last deploy; the dashboard's apps list and app pages show it.
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import { isRunning } from './builds.ts';

export type AppStatus = 'running' | 'building' | 'failed' | 'down' | 'no release';

interface Stamp { status: string; created_at: Date; lease_expires_at?: Date | null }

export interface AppFacts {
  current?: { version: number; finished_at: Date | null };
  latestBuild?: Stamp;
  latestRelease?: Stamp;
  /** Processes up (or starting) and in all, from the controller's snapshot. */
  processes: { up: number; total: number };
}

/** Decides the status: work in progress wins, then the newest failure, then whether processes are up. */
export function toAppStatus(f: AppFacts): AppStatus {
  const b = f.latestBuild, r = f.latestRelease;
  if (isRunning(b, r)) return 'building';
  if (r?.status === 'failed' && (!b || r.created_at >= b.created_at)) return 'failed';
  if (b?.status === 'failed' && (!r || b.created_at > r.created_at)) return 'failed';
  if (!f.current) return 'no release';
  if (f.processes.total > 0 && f.processes.up === 0) return 'down';
  return 'running';
}

export interface AppSummary { status: AppStatus; version: number | null; lastDeployAt: Date | null }

/** Status, live version and last deploy time of each app, keyed by app id, in four queries whatever the count. */
export async function appSummaries(db: Knex, apps: AppRow[]): Promise<Map<number, AppSummary>> {
  const ids = apps.map((a) => a.id);
  const latest = (table: 'builds' | 'releases', order: string) => db(table).distinctOn('app_id').whereIn('app_id', ids)
    .orderBy([{ column: 'app_id' }, { column: order, order: 'desc' }]).select('app_id', 'status', 'created_at', 'lease_expires_at');
  // One after another: `db` may be a transaction (the live badge reads a snapshot), whose one connection must not
  // be handed a query while another runs (pg deprecates it; pg 9 refuses).
  const builds = await latest('builds', 'number');
  const releases = await latest('releases', 'version');
  const currents = await db('releases').whereIn('id', apps.map((a) => a.current_release_id).filter((id): id is number => id !== null)).select('id', 'version', 'finished_at');
  const procs = await db('processes').whereIn('app', apps.map((a) => a.name)).select('app', 'state');
  const out = new Map<number, AppSummary>();
  for (const app of apps) {
    const current = currents.find((c) => c.id === app.current_release_id);
    const mine = procs.filter((p) => p.app === app.name);
    const status = toAppStatus({
      current, latestBuild: builds.find((b) => b.app_id === app.id), latestRelease: releases.find((r) => r.app_id === app.id),
      processes: { up: mine.filter((p) => p.state === 'up' || p.state === 'starting').length, total: mine.length }, // starting is not down
    });
    out.set(app.id, { status, version: current?.version ?? null, lastDeployAt: current?.finished_at ?? null });
  }
  return out;
}
