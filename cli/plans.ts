// cli/plans.ts — plans and usage: `plans`, `plans:create|update|delete|assign` (admins; the operator locally) and
// `usage [EMAIL]` (your own; anyone's for admins). services/plans.ts and services/usage.ts do the work.
import { PaasError } from '../core/errors.ts';
import { assignPlan, createPlan, deletePlan, listPlans, parseLimit, updatePlan, type Plan, type PlanLimits } from '../services/plans.ts';
import { usageFor, type Usage } from '../services/usage.ts';
import { flag, need, table, type Args, type Command, type Flags } from './types.ts';

const LIMIT_FLAGS: Flags = {
  apps: { type: 'string' }, instances: { type: 'string' }, memory: { type: 'string' }, 'build-minutes': { type: 'string' }, disk: { type: 'string' },
};
const FLAG_OF = { maxApps: 'apps', maxInstances: 'instances', maxMemoryMb: 'memory', buildMinutes: 'build-minutes', maxDiskMb: 'disk' } as const;
const LIMITS_USAGE = '[--apps N] [--instances N] [--memory MB] [--build-minutes N] [--disk MB] [--default]';

/** The limits given as flags (each a number, or `none` for unlimited); absent flags are left out. */
function limitsOf(args: Args): PlanLimits {
  const out: PlanLimits = {};
  for (const [key, name] of Object.entries(FLAG_OF) as Array<[keyof PlanLimits, string]>) {
    const v = flag(args, name);
    if (v !== undefined) out[key] = parseLimit(v, key);
  }
  return out;
}

const shown = (v: number | null, unit = ''): string => (v === null ? 'unlimited' : `${v}${unit}`);

function planRow(p: Plan): string[] {
  return [p.name + (p.isDefault ? ' (default)' : ''), shown(p.maxApps), shown(p.maxInstances), shown(p.maxMemoryMb, ' MB'), shown(p.buildMinutes), shown(p.maxDiskMb, ' MB')];
}

/** `2 of 5` or `2 (unlimited)`. */
const of = (used: number, limit: number | null, unit = ''): string => (limit === null ? `${used}${unit} (unlimited)` : `${used}${unit} of ${limit}${unit}`);

/** The lines of `usage`: one per limit, then each app's instances and disk. */
export function usageLines(u: Usage): string[] {
  const lines = [
    `=== ${u.email}: plan ${u.plan === null ? 'none (nothing is limited)' : `"${u.plan}"`}`,
    ...table([
      ['Apps', of(u.apps.used, u.apps.limit)],
      ['Instances per app (most)', of(u.instances.used, u.instances.limit)],
      ['Memory per process', u.memoryMb.limit === null ? `${u.memoryMb.platform} MB (the platform's)` : `${u.memoryMb.limit} MB`],
      ['Build minutes this month (UTC)', of(u.buildMinutes.used, u.buildMinutes.limit)],
      ['Disk per app (largest)', of(u.diskMb.used, u.diskMb.limit, ' MB')],
    ]),
  ];
  if (u.perApp.length) lines.push('', ...table([['App', 'Instances', 'Disk'], ...u.perApp.map((a) => [a.app, String(a.instances), `${Math.round((a.diskBytes / 1048576) * 10) / 10} MB`])]));
  return lines;
}

export const planCommands: Command[] = [
  {
    name: 'plans', args: '', summary: 'List the plans and their limits',
    async run(ctx) {
      const plans = await listPlans(ctx.db);
      if (!plans.length) { ctx.out('No plans: nothing is limited. Create one: plans:create NAME --apps N …'); return; }
      table([['Plan', 'Apps', 'Instances', 'Memory', 'Build min/month', 'Disk/app'], ...plans.map(planRow)]).forEach(ctx.out);
    },
  },
  {
    name: 'plans:create', args: `NAME ${LIMITS_USAGE}`, summary: 'Create a plan (admins); a limit left out or "none" is unlimited',
    flags: { ...LIMIT_FLAGS, default: { type: 'boolean' } },
    async run(ctx, args) {
      const plan = await createPlan(ctx.db, ctx.actor, need(args, 0, 'NAME', `plans:create NAME ${LIMITS_USAGE}`), limitsOf(args), args.flags.has('default'));
      ctx.out(`Created plan ${plan.name}${plan.isDefault ? ' (the default for users without a plan)' : ''}`);
    },
  },
  {
    name: 'plans:update', args: `NAME ${LIMITS_USAGE}`, summary: 'Change limits of a plan (admins); "none" makes one unlimited',
    flags: { ...LIMIT_FLAGS, default: { type: 'boolean' } },
    async run(ctx, args) {
      const plan = await updatePlan(ctx.db, ctx.actor, need(args, 0, 'NAME', `plans:update NAME ${LIMITS_USAGE}`), limitsOf(args), args.flags.has('default') ? true : undefined);
      table([['Plan', 'Apps', 'Instances', 'Memory', 'Build min/month', 'Disk/app'], planRow(plan)]).forEach(ctx.out);
    },
  },
  {
    name: 'plans:delete', args: 'NAME', summary: 'Delete a plan (admins); its users and projects get the default plan',
    async run(ctx, args) {
      const name = need(args, 0, 'NAME', 'plans:delete NAME');
      await deletePlan(ctx.db, ctx.actor, name);
      ctx.out(`Deleted plan ${name}`);
    },
  },
  {
    name: 'plans:assign', args: 'PLAN --user EMAIL | --project NAME', summary: 'Assign a plan to a user or a project (admins); PLAN "none" removes it',
    flags: { user: { type: 'string' }, project: { type: 'string' } },
    async run(ctx, args) {
      const usage = 'plans:assign PLAN --user EMAIL | --project NAME';
      const to = { user: flag(args, 'user'), project: flag(args, 'project') };
      if ((to.user === undefined) === (to.project === undefined)) throw new PaasError('E_USAGE', `Give exactly one of --user EMAIL or --project NAME. Usage: ${usage}`);
      const plan = await assignPlan(ctx.db, ctx.actor, need(args, 0, 'PLAN', usage), to);
      const who = to.user !== undefined ? `user ${to.user}` : `project ${to.project}`;
      ctx.out(plan ? `Assigned plan ${plan.name} to ${who}` : `Removed the plan of ${who}; the default plan applies`);
    },
  },
  {
    name: 'usage', args: '[EMAIL]', summary: 'Show usage against the plan: yours, or a user\'s (admins)',
    async run(ctx, args) {
      const u = await usageFor(ctx.db, ctx.config.dataDir, ctx.config.appLimits.memoryMb, ctx.actor, args.positional[0]);
      usageLines(u).forEach(ctx.out);
    },
  },
];
