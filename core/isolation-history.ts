// core/isolation-history.ts — refuses a silent fall-back to single-tenant mode: a platform whose apps ran in per-app
// sandboxes, and whose bubblewrap no longer works (an upgrade broke it) under PAAS_ISOLATION=auto, stops at boot
// instead of running every tenant unsandboxed. core/boot.ts calls it once the database is open. docs/security.md.
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { SANDBOX_PACKAGE, type IsolationState } from './isolation.ts';

/** The settings row that says sandboxes ran here. */
export const SANDBOXED_KEY = 'sandboxedBefore';

/** Whether a slug under the data dir is owned by a uid other than the platform's: an app uid, from sandbox mode. */
export function slugsOwnedByAppUids(dataDir: string, platformUid = process.getuid?.() ?? 0): boolean {
  const apps = path.join(dataDir, 'apps');
  let names: string[] = [];
  try { names = fs.readdirSync(apps); } catch { return false; }
  for (const app of names) {
    const slugs = path.join(apps, app, 'slugs');
    let builds: string[] = [];
    try { builds = fs.readdirSync(slugs); } catch { continue; }
    for (const build of builds) {
      try { if (fs.statSync(path.join(slugs, build)).uid !== platformUid) return true; } catch { /* removed meanwhile */ }
    }
  }
  return false;
}

/** Whether sandboxes ran here before: recorded at an earlier boot, or (installs older than the record) app-owned slugs. */
export async function sandboxedBefore(db: Knex, dataDir: string): Promise<boolean> {
  const row = await db('settings').where({ key: SANDBOXED_KEY }).first('value');
  return row?.value === true || slugsOwnedByAppUids(dataDir);
}

/** The refusal, naming the problem and both ways out. */
export function fallBackRefusal(isolation: IsolationState): string {
  return `apps on this platform ran in per-app sandboxes before, but the sandbox cannot run now (${isolation.reason}). `
    + 'PAAS_ISOLATION=auto would fall back to single-tenant mode, where every app runs unsandboxed and can read the others and the platform\'s data, so the platform refuses to start. '
    + `Either fix bubblewrap (install or repair the Debian package ${SANDBOX_PACKAGE}, and allow unprivileged user namespaces), `
    + 'or set PAAS_ISOLATION=none to run single-tenant on purpose';
}

/** Records that sandboxes run here; throws fallBackRefusal when `auto` fell back to none after sandboxes ran. */
export async function checkIsolationHistory(db: Knex, isolation: IsolationState, dataDir: string): Promise<void> {
  if (isolation.mode === 'sandbox') {
    await db('settings').insert({ key: SANDBOXED_KEY, value: JSON.stringify(true) }).onConflict('key').ignore();
    return;
  }
  if (isolation.fellBack && await sandboxedBefore(db, dataDir)) throw new Error(fallBackRefusal(isolation));
}
