// services/quotas.ts — the plan limits that bite at once: apps per owner (createApp), process instances per app
// (ps:scale, ps:autoscale, app.json's formation on a push and a deploy), memory per process (the release spec the runtimes read) and disk per app (the push's
// quota check in gitd/pre-receive.ts). Each refusal names the plan and the limit. Build minutes: build-minutes.ts.
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { planOfApp, planOfUser, type Plan } from './plans.ts';

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * Refuses a new app when its owner already owns as many as their plan allows. Run inside createApp's transaction:
 * the owner's row is locked first, so two apps:create at once cannot both pass the count.
 */
export async function checkAppsQuota(trx: Knex.Transaction, ownerId: number): Promise<void> {
  await trx('users').where({ id: ownerId }).forUpdate().first('id');
  const plan = await planOfUser(trx, ownerId);
  if (plan?.maxApps === null || plan?.maxApps === undefined) return;
  const owned = Number((await trx('apps').where({ owner_id: ownerId }).count({ n: '*' }).first())?.n ?? 0);
  if (owned < plan.maxApps) return;
  throw new PaasError('E_QUOTA_APPS', `Plan "${plan.name}" allows ${plural(plan.maxApps, 'app')}; you own ${owned}. Destroy one or ask an admin for a larger plan`);
}

/**
 * The instances an app would run in all: each type's quantity, or its autoscaling maximum when autoscaled (what the
 * autoscaler may reach). `types` are the current release's process types.
 */
export function totalInstances(types: string[], quantityOf: (type: string) => number, autoscaling: AppRow['autoscaling'] = {}): number {
  return types.reduce((sum, t) => sum + (autoscaling[t]?.max ?? quantityOf(t)), 0);
}

/** Refuses a formation (ps:scale) or autoscaling maximum (ps:autoscale) over the app's plan's instances per app. */
export async function checkInstancesQuota(db: Knex, app: Pick<AppRow, 'id' | 'name'>, total: number, asked: string, fix = 'Scale another type down'): Promise<void> {
  const plan = (await planOfApp(db, app.id))?.plan;
  if (plan?.maxInstances === null || plan?.maxInstances === undefined || total <= plan.maxInstances) return;
  throw new PaasError('E_QUOTA_INSTANCES', `Plan "${plan.name}" allows ${plural(plan.maxInstances, 'process instance')} per app; ${asked} would make ${app.name} run ${total} in all. `
    + `${fix} or ask an admin for a larger plan`);
}

/** The memory each of the app's processes gets from its plan (MB), or undefined: the platform's PAAS_APP_MEMORY_MB. */
export async function planMemoryMb(db: Knex, appId: number): Promise<number | undefined> {
  return (await planOfApp(db, appId))?.plan?.maxMemoryMb ?? undefined;
}

/** The app's disk limit from its plan (repo and slugs, bytes) with the plan, or undefined when the plan sets none. */
export async function planDiskLimit(db: Knex, appName: string): Promise<{ plan: Plan; bytes: number } | undefined> {
  const app = await db('apps').where({ name: appName }).first('id');
  const plan = app ? (await planOfApp(db, app.id))?.plan : undefined;
  if (plan?.maxDiskMb === null || plan?.maxDiskMb === undefined) return undefined;
  return { plan, bytes: plan.maxDiskMb * 1024 * 1024 };
}
