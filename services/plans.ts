// services/plans.ts — plans (issue 13 §3): what an admin defines (limits, null = unlimited), assigns to users and
// projects, and which plan applies to an app or a user. The quota checks (services/quotas.ts), usage
// (services/usage.ts), the CLI, the API and the dashboard read plans here. No plan at all: nothing is limited.
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { requireAdmin } from '../core/settings.ts';

/** One plan; every limit null means unlimited. buildMinutes may be fractional (two decimals). */
export interface Plan {
  id: number;
  name: string;
  maxApps: number | null;
  maxInstances: number | null;
  maxMemoryMb: number | null;
  buildMinutes: number | null;
  maxDiskMb: number | null;
  isDefault: boolean;
}

/** The limits as given to plans:create / plans:update (undefined: unchanged; null: unlimited). */
export type PlanLimits = Partial<Pick<Plan, 'maxApps' | 'maxInstances' | 'maxMemoryMb' | 'buildMinutes' | 'maxDiskMb'>>;

/** Who a plan's build minutes are charged to: the app's project (when the project's plan applies) or a user. */
export type PlanSubject = { kind: 'project'; id: number } | { kind: 'user'; id: number };

const COLUMNS = { maxApps: 'max_apps', maxInstances: 'max_instances', maxMemoryMb: 'max_memory_mb', buildMinutes: 'build_minutes', maxDiskMb: 'max_disk_mb' } as const;
const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** A plans row as a Plan (numeric columns come back from PostgreSQL as text). */
export function toPlan(r: Record<string, unknown>): Plan {
  return {
    id: Number(r.id), name: String(r.name), maxApps: num(r.max_apps), maxInstances: num(r.max_instances), maxMemoryMb: num(r.max_memory_mb),
    buildMinutes: num(r.build_minutes), maxDiskMb: num(r.max_disk_mb), isDefault: r.is_default === true,
  };
}

/** Checks a plan name (a-z, 0-9, - and _, up to 40). */
export function parsePlanName(raw: unknown): string {
  const name = typeof raw === 'string' ? raw.trim() : '';
  if (!NAME.test(name)) throw new PaasError('E_PLAN_INVALID', `"${String(raw ?? '').slice(0, 60)}" is not a plan name (a-z, 0-9, - and _, up to 40 characters)`);
  if (name === 'none' || name === 'unlimited') throw new PaasError('E_PLAN_INVALID', `"${name}" cannot name a plan: plans:assign none takes a plan away`);
  return name;
}

/**
 * Reads one limit: a whole number from 0 (memory and disk: from 1; build minutes: up to two decimals), or
 * 'none'/'unlimited'/null for no limit. Numbers (the API) and their text (the CLI's flags, the dashboard's form) alike.
 */
export function parseLimit(raw: unknown, what: keyof typeof COLUMNS): number | null {
  if (raw === null || raw === 'none' || raw === 'unlimited') return null;
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const pattern = what === 'buildMinutes' ? /^\d{1,7}(\.\d{1,2})?$/ : /^\d{1,7}$/;
  if (!pattern.test(text)) {
    const kind = what === 'buildMinutes' ? 'a number from 0 with up to two decimals' : 'a whole number from 0';
    throw new PaasError('E_PLAN_INVALID', `${what} "${String(raw).slice(0, 40)}" is not ${kind}, or "none" for unlimited`);
  }
  const n = Number(text);
  // 0 MB of memory or disk would read as "the platform's default" or "unlimited" downstream: refused, not guessed at.
  if (n === 0 && (what === 'maxMemoryMb' || what === 'maxDiskMb')) {
    throw new PaasError('E_PLAN_INVALID', `${what} must be at least 1 (MB), or "none" for unlimited`);
  }
  return n;
}

function toColumns(limits: PlanLimits): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [key, col] of Object.entries(COLUMNS)) {
    const v = limits[key as keyof PlanLimits];
    if (v !== undefined) out[col] = v;
  }
  return out;
}

/** Every plan, by name (anyone may read them: the CLI's `plans` shows what exists). */
export async function listPlans(db: Knex): Promise<Plan[]> {
  return (await db('plans').orderBy('name')).map(toPlan);
}

export async function getPlan(db: Knex, rawName: unknown): Promise<Plan> {
  const name = parsePlanName(rawName);
  const row = await db('plans').where({ name }).first();
  if (!row) throw new PaasError('E_PLAN_NOT_FOUND', `No plan named ${name}; see plans`);
  return toPlan(row);
}

/** plans:create (admins; the operator locally). `isDefault` moves the default here from any other plan. */
export async function createPlan(db: Knex, actor: Actor, rawName: unknown, limits: PlanLimits, isDefault = false): Promise<Plan> {
  requireAdmin(actor, 'manage plans');
  const name = parsePlanName(rawName);
  return db.transaction(async (trx) => {
    if (isDefault) await trx('plans').where({ is_default: true }).update({ is_default: false });
    const [row] = await trx('plans').insert({ name, ...toColumns(limits), is_default: isDefault }).onConflict('name').ignore().returning('*');
    if (!row) throw new PaasError('E_PLAN_EXISTS', `A plan named ${name} already exists; change it with plans:update`);
    return toPlan(row);
  });
}

/** plans:update: changes the given limits (and makes it the default when asked); the others are kept. */
export async function updatePlan(db: Knex, actor: Actor, rawName: unknown, limits: PlanLimits, isDefault?: boolean): Promise<Plan> {
  requireAdmin(actor, 'manage plans');
  const plan = await getPlan(db, rawName);
  return db.transaction(async (trx) => {
    if (isDefault) await trx('plans').where({ is_default: true }).whereNot({ id: plan.id }).update({ is_default: false });
    const change = { ...toColumns(limits), ...(isDefault === undefined ? {} : { is_default: isDefault }) };
    if (!Object.keys(change).length) return plan;
    const [row] = await trx('plans').where({ id: plan.id }).update(change).returning('*');
    return toPlan(row);
  });
}

/** plans:delete: its users and projects fall back to the default plan (ON DELETE SET NULL). */
export async function deletePlan(db: Knex, actor: Actor, rawName: unknown): Promise<void> {
  requireAdmin(actor, 'manage plans');
  const plan = await getPlan(db, rawName);
  await db('plans').where({ id: plan.id }).delete();
}

/** plans:assign PLAN --user EMAIL | --project NAME; plan null ('none') takes the assignment away (the default applies). */
export async function assignPlan(db: Knex, actor: Actor, rawPlan: unknown, to: { user?: string; project?: string }): Promise<Plan | null> {
  requireAdmin(actor, 'assign plans');
  if ((to.user === undefined) === (to.project === undefined)) throw new PaasError('E_USAGE', 'Give exactly one of --user EMAIL or --project NAME');
  const plan = rawPlan === 'none' ? null : await getPlan(db, rawPlan);
  const [table, where, what] = to.user !== undefined
    ? ['users', { email: to.user.trim().toLowerCase() }, `user ${to.user}`] as const
    : ['projects', { name: String(to.project).trim() }, `project ${to.project}`] as const;
  const n = await db(table).where(where).update({ plan_id: plan?.id ?? null });
  if (!n) throw new PaasError(table === 'users' ? 'E_USER_NOT_FOUND' : 'E_USAGE', `No ${what.slice(0, 80)}`);
  return plan;
}

/** The plan new users get (and users without one): the plan marked default, if any. */
async function defaultPlan(db: Knex): Promise<Plan | undefined> {
  const row = await db('plans').where({ is_default: true }).first();
  return row ? toPlan(row) : undefined;
}

/** A user's plan: the one assigned to them, else the default; undefined when neither exists (unlimited). */
export async function planOfUser(db: Knex, userId: number): Promise<Plan | undefined> {
  const row = await db('users').join('plans', 'plans.id', 'users.plan_id').where('users.id', userId).first('plans.*');
  return row ? toPlan(row) : defaultPlan(db);
}

/**
 * An app's plan: its project's plan when it is in a project with one, else its owner's plan, else the default. A
 * review app's plan is its parent's (its own project, if any, counts for nothing: core/access.ts). `subject` is whom
 * its build minutes are charged to.
 */
export async function planOfApp(db: Knex, appId: number): Promise<{ plan?: Plan; subject: PlanSubject } | undefined> {
  const app = await db('apps as a').leftJoin('apps as parent', 'parent.id', 'a.parent_app_id')
    .leftJoin('projects', 'projects.id', db.raw('coalesce(parent.project_id, CASE WHEN a.parent_app_id IS NULL THEN a.project_id END)'))
    .where('a.id', appId)
    .first(db.raw('coalesce(parent.owner_id, a.owner_id) AS owner_id'), 'projects.id as project_id', 'projects.plan_id as project_plan_id');
  if (!app) return undefined;
  if (app.project_plan_id !== null && app.project_plan_id !== undefined) {
    const row = await db('plans').where({ id: app.project_plan_id }).first();
    if (row) return { plan: toPlan(row), subject: { kind: 'project', id: Number(app.project_id) } };
  }
  return { plan: await planOfUser(db, Number(app.owner_id)), subject: { kind: 'user', id: Number(app.owner_id) } };
}
