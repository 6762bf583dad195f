// gitd/ref-reconcile.ts — moves the deploy branch of a push whose deploy succeeded after the git process that
// received it went away (gitd killed mid-push: its hook died, so git could not move the ref). The ref then moves
// if and only if the deploy did. Run by the process that serves SSH: at start, then every few seconds.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { isPaasError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { acquirePushLock } from './push-lock.ts';
import { announceRefUpdated } from './ref-updated.ts';
import { repoDir } from './repos.ts';

const exec = promisify(execFile);

export interface ReconcileDeps { db: Knex; dataDir: string; log: Logger; leaseSeconds: number }

/** `app`: the app whose repo holds the ref (a review app's branch lives in its parent's repo). */
interface Deployed { app: string; ref: string; rev: string; user_id: number | null }

/**
 * Each app's latest build, when the release it made went live within the last day. Every push to the deploy
 * branch makes a build and pushes are one at a time, so its ref should point at that build's rev by now.
 */
async function latestDeployedPushes(db: Knex): Promise<Deployed[]> {
  const { rows } = await db.raw(`
    SELECT CASE WHEN p.name IS NOT NULL AND b.ref = 'refs/heads/' || a.review_branch THEN p.name ELSE a.name END AS app,
      b.ref, b.rev, b.user_id FROM apps a
    LEFT JOIN apps p ON p.id = a.parent_app_id
    JOIN LATERAL (SELECT id, ref, rev, user_id FROM builds WHERE app_id = a.id ORDER BY number DESC LIMIT 1) b ON true
    JOIN LATERAL (SELECT status, finished_at FROM releases WHERE build_id = b.id ORDER BY version LIMIT 1) r ON true
    WHERE r.status = 'succeeded' AND r.finished_at > now() - interval '1 day'`);
  return rows as Deployed[];
}

async function git(gitDir: string, ...args: string[]): Promise<string | undefined> {
  try {
    return (await exec('git', ['--git-dir', gitDir, ...args])).stdout.trim();
  } catch {
    return undefined;
  }
}

/** Moves one app's ref to its deployed rev under the app's push lock (a push in progress owns the ref). */
async function moveRef(deps: ReconcileDeps, d: Deployed): Promise<void> {
  const gitDir = repoDir(deps.dataDir, d.app);
  if (!fs.existsSync(gitDir)) return;
  if (await git(gitDir, 'rev-parse', '--verify', '--quiet', d.ref) === d.rev) return;
  if (await git(gitDir, 'cat-file', '-e', `${d.rev}^{commit}`) === undefined) {
    deps.log.warn({ app: d.app, rev: d.rev }, 'a deployed push is not in its repo; its ref cannot move');
    return;
  }
  const lease = await acquirePushLock(deps.db, d.app, d.user_id ?? 0, deps.leaseSeconds, { notAPush: true }).catch((err: unknown) => {
    if (isPaasError(err, 'E_PUSH_LOCKED')) return undefined;
    throw err;
  });
  if (!lease) return;
  try {
    const current = await git(gitDir, 'rev-parse', '--verify', '--quiet', d.ref) ?? '';
    if (current === d.rev) return;
    // Compare-and-swap: moves only from the value just read ('' = the ref must not exist yet).
    await exec('git', ['--git-dir', gitDir, 'update-ref', '-m', 'paas: deployed after the push was cut off', d.ref, d.rev, current]);
    await announceRefUpdated(deps.db, d.app, { ref: d.ref, oldRev: current || '0'.repeat(40), newRev: d.rev }, d.user_id ?? undefined);
    deps.log.warn({ app: d.app, ref: d.ref, rev: d.rev }, 'moved the ref of a push that deployed after its connection was lost');
  } finally {
    await lease.release();
  }
}

/** One pass over the apps; failures are logged and retried on the next pass. */
export async function reconcileRefs(deps: ReconcileDeps): Promise<void> {
  for (const d of await latestDeployedPushes(deps.db)) {
    await moveRef(deps, d).catch((err: unknown) => deps.log.error({ err, app: d.app }, 'could not reconcile the ref of a deployed push'));
  }
}

/** Reconciles now, then every `everyMs`; returns the function that stops it (after the pass under way). */
export function startRefReconciler(deps: ReconcileDeps, everyMs = 5000): () => Promise<void> {
  let running: Promise<void> | undefined;
  const pass = () => {
    running ??= reconcileRefs(deps)
      .catch((err: unknown) => deps.log.warn({ err }, 'ref reconcile pass failed; will retry'))
      .finally(() => { running = undefined; });
  };
  pass();
  const timer = setInterval(pass, everyMs);
  return async () => { clearInterval(timer); await running; };
}
