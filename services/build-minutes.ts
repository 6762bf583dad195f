// services/build-minutes.ts — build minutes per UTC calendar month (issue 13 §3): what is left for an app's next
// build (gitd refuses a push with none left; the builder stops a build when it reaches the limit), and the ledger
// each finished build adds its seconds to. Charged to the app's project when the project's plan applies, else to
// its owner (migration 014's build_usage, which outlives the app).
import type { Knex } from 'knex';
import { PaasError } from '../core/errors.ts';
import { planOfApp, type Plan, type PlanSubject } from './plans.ts';

/** The start of the current UTC calendar month, as SQL (the ledger's month). */
const MONTH_START = "date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'";

/** Seconds of build time the subject used this month. */
export async function buildSecondsUsed(db: Knex, subject: PlanSubject): Promise<number> {
  const q = db('build_usage').whereRaw(`started_at >= ${MONTH_START}`);
  if (subject.kind === 'project') q.where({ project_id: subject.id });
  else q.where({ user_id: subject.id }).whereNull('project_id');
  const row = await q.sum({ s: 'seconds' }).first();
  return Number(row?.s ?? 0);
}

/** An app's build budget: its plan, the month's limit and use in seconds; undefined when its plan sets none. */
export interface BuildBudget { plan: Plan; limitSeconds: number; usedSeconds: number; leftMs: number }

export async function buildBudget(db: Knex, appId: number): Promise<BuildBudget | undefined> {
  const found = await planOfApp(db, appId);
  const plan = found?.plan;
  if (!found || !plan || plan.buildMinutes === null) return undefined;
  const limitSeconds = plan.buildMinutes * 60;
  const usedSeconds = await buildSecondsUsed(db, found.subject);
  return { plan, limitSeconds, usedSeconds, leftMs: Math.max(0, Math.floor((limitSeconds - usedSeconds) * 1000)) };
}

/** "12.5 of 10 minutes": minutes with at most two decimals. */
export function minutes(seconds: number): string {
  return String(Math.round((seconds / 60) * 100) / 100);
}

/** The refusal of a push when the month's minutes are used up (before anything is built). */
export function minutesUsedUp(b: BuildBudget): PaasError {
  return new PaasError('E_QUOTA_BUILD_MINUTES', `Plan "${b.plan.name}" allows ${minutes(b.limitSeconds)} build minutes a month; ${minutes(b.usedSeconds)} are used this month (UTC). `
    + 'Nothing was built; wait for next month or ask an admin for a larger plan');
}

/** The failure of a build stopped at the month's limit. */
export function buildStopped(b: BuildBudget): PaasError {
  return new PaasError('E_QUOTA_BUILD_MINUTES', `The build was stopped: it reached the ${minutes(b.limitSeconds)} build minutes a month of plan "${b.plan.name}" `
    + '(used up now). Ask an admin for a larger plan, or wait for next month');
}

/** Refuses when the app has no build minutes left this month (gitd's pre-receive, before the push is handed over). */
export async function checkBuildMinutes(db: Knex, appName: string): Promise<void> {
  const app = await db('apps').where({ name: appName }).first('id');
  const budget = app ? await buildBudget(db, app.id) : undefined;
  if (budget && budget.leftMs <= 0) throw minutesUsedUp(budget);
}

/**
 * Adds seconds to a build's ledger row, charged as the app's plan says now; a resumed build adds to its row.
 * Returns the row's seconds after the addition (undefined when the app is gone).
 */
export async function recordBuildSeconds(db: Knex, appId: number, app: string, buildId: string, startedAt: Date, seconds: number): Promise<number | undefined> {
  const found = await planOfApp(db, appId);
  if (!found) return undefined;
  const owner = await db('apps').where({ id: appId }).first('owner_id');
  const row = {
    build_id: buildId, app, seconds, started_at: startedAt,
    user_id: owner?.owner_id ?? null, project_id: found.subject.kind === 'project' ? found.subject.id : null,
  };
  const [saved] = await db('build_usage').insert(row).onConflict('build_id')
    .merge({ seconds: db.raw('build_usage.seconds + excluded.seconds') }).returning('seconds');
  return Number(saved.seconds);
}

/** Sets a running build's ledger seconds (its heartbeat and its end; the row was opened by recordBuildSeconds). */
export async function setBuildSeconds(db: Knex, buildId: string, seconds: number): Promise<void> {
  await db('build_usage').where({ build_id: buildId }).update({ seconds });
}
