// services/autoscaling.ts — ps:autoscale and ps:autoscale:off (Heroku's autoscaling, a HorizontalPodAutoscaler per
// process type in Kubernetes mode): the checks of min, max and CPU target, what is stored on the app (kept across
// releases and rollbacks, as the formation is), and the event that tells the runtime. Used by the CLI, the API and the
// dashboard; services/release-spec.ts hands the settings to the runtime with each release.
import type { Knex } from 'knex';
import { appForActor, type Actor, type AppRow, type AutoscaleSetting } from '../core/access.ts';
import type { Mode } from '../core/config.ts';
import { autoscaleUnavailable, PaasError } from '../core/errors.ts';
import { enqueueEvent } from '../core/outbox.ts';
import { formationOf, MAX_INSTANCES, processTypes, quantityOf } from './formation.ts';
import { checkInstancesQuota, totalInstances } from './quotas.ts';
import { currentRelease } from './releases.ts';

export type { AutoscaleSetting };

/** What ps:autoscale is given: numbers (the API) or their text (the CLI's flags, the dashboard's form). */
export interface AutoscaleInput { min?: unknown; max?: unknown; cpu?: unknown }

const PROCESS_TYPE = /^[a-z0-9][a-z0-9_-]{0,62}$/;

function wholeNumber(v: unknown, what: string, min: number, max: number): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[0-9]{1,12}$/.test(v.trim()) ? Number(v.trim()) : Number.NaN;
  const shown = String(v).slice(0, 40);
  if (v === undefined || v === null || v === '') throw new PaasError('E_AUTOSCALE_INVALID', `${what} is missing (a whole number from ${min} to ${max})`);
  if (!Number.isSafeInteger(n)) throw new PaasError('E_AUTOSCALE_INVALID', `${what} "${shown}" is not a whole number (from ${min} to ${max})`);
  if (n < min || n > max) throw new PaasError('E_AUTOSCALE_INVALID', `${what} ${shown} is out of range (from ${min} to ${max})`);
  return n;
}

/** Checks min (1 up), max (min up to the instance cap, 99) and cpu (1-100 %): whole numbers only, each refusal names the value. */
export function parseAutoscale(input: AutoscaleInput): AutoscaleSetting {
  const min = wholeNumber(input.min, 'min', 1, MAX_INSTANCES);
  const max = wholeNumber(input.max, 'max', min, MAX_INSTANCES);
  const cpu = wholeNumber(input.cpu, 'cpu', 1, 100);
  return { min, max, cpu };
}

/** `1..5 at 70% CPU`, as ps and the dashboard show it. */
export function describeAutoscale(s: AutoscaleSetting): string {
  return `${s.min}..${s.max} at ${s.cpu}% CPU`;
}

/** The app's autoscaled types with their settings, sorted by type. */
export function autoscalingOf(app: Pick<AppRow, 'autoscaling'>): Array<{ type: string } & AutoscaleSetting> {
  return Object.entries(app.autoscaling ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([type, s]) => ({ type, ...s }));
}

function typeName(type: unknown): string {
  if (typeof type !== 'string' || !PROCESS_TYPE.test(type)) throw new PaasError('E_USAGE', `"${String(type ?? '').slice(0, 80)}" is not a process type (a-z, 0-9, - and _)`);
  return type;
}

/** Whether the mode has an autoscaler: Kubernetes' HPA; the local and Docker runtimes have none. */
export function autoscalingAvailable(config: { mode: Mode }): boolean {
  return config.mode === 'kubernetes';
}

/** ps:autoscale — checks and stores one type's setting and tells the runtime; nothing is stored when anything is refused. */
export async function setAutoscale(db: Knex, mode: Mode, actor: Actor, name: string, rawType: unknown, input: AutoscaleInput): Promise<AutoscaleSetting> {
  return db.transaction(async (trx) => {
    const app = await appForActor(trx, actor, name); // first: someone else's app is a 404 whatever the rest says
    // One instance count at a time per app: the row is locked and read again under the lock.
    const locked = (await trx('apps').where({ id: app.id }).forUpdate().first('formation', 'autoscaling')) as Pick<AppRow, 'formation' | 'autoscaling'>;
    if (!autoscalingAvailable({ mode })) throw autoscaleUnavailable(mode);
    const type = typeName(rawType);
    const setting = parseAutoscale(input);
    const release = await currentRelease(trx, app);
    if (!release) throw new PaasError('E_NO_RELEASE', `${app.name} has no release yet: git push first`);
    const types = await processTypes(trx, app);
    if (!types.includes(type)) throw new PaasError('E_PROCESS_TYPE_UNKNOWN', `No process type ${type} in v${release.version}; its types are: ${types.join(', ') || 'none'}`);
    const autoscaling = { ...locked.autoscaling, [type]: setting };
    const fromAppJson = (await formationOf(trx, app)).fromAppJson; // app.json's quantities run on every deploy: counted too
    const total = totalInstances(types, (t) => quantityOf(t, locked.formation, fromAppJson), autoscaling);
    await checkInstancesQuota(trx, app, total, `ps:autoscale ${type} --max ${setting.max}`);
    // Merged in the UPDATE, as ps:scale does: a concurrent ps:autoscale of another type is kept.
    await trx('apps').where({ id: app.id }).update({ autoscaling: trx.raw('autoscaling || ?::jsonb', [JSON.stringify({ [type]: setting })]) });
    await enqueueEvent(trx, 'autoscalingUpdated', { app: app.name, type });
    return setting;
  });
}

/** ps:autoscale:off — removes one type's setting (the type's count goes back to its ps:scale quantity); false when it had none. */
export async function removeAutoscale(db: Knex, mode: Mode, actor: Actor, name: string, rawType: unknown): Promise<boolean> {
  return db.transaction(async (trx) => {
    const app = await appForActor(trx, actor, name);
    if (!autoscalingAvailable({ mode })) throw autoscaleUnavailable(mode);
    const type = typeName(rawType);
    const removed = await trx('apps').where({ id: app.id }).whereRaw('jsonb_exists(autoscaling, ?)', [type])
      .update({ autoscaling: trx.raw('autoscaling - ?::text', [type]) });
    if (!removed) return false;
    await enqueueEvent(trx, 'autoscalingUpdated', { app: app.name, type });
    return true;
  });
}
