// gitd/review-push.ts — the branches of a push other than the deploy branch, when the app has review apps
// (docs/user/review-apps.md): each pushed branch builds and deploys its review app through the normal pipeline (the
// same archive hand-over, its own builds and releases); each deleted branch destroys its review app once the push's
// deploys all succeeded.
import type { Knex } from 'knex';
import type { IsolationState } from '../core/isolation.ts';
import type { Say } from '../core/say.ts';
import { removeApp } from '../services/apps.ts';
import { pushOutcome } from '../services/builds.ts';
import { destroyReviewAppOf, ensureReviewApp } from '../services/review-push.ts';
import type { ReviewAppRow } from '../services/review-apps.ts';
import { isDeletion, type RefUpdate } from './refs.ts';

/** What review apps need from the process: the tenancy state apps:create checks, and an app's public URL. */
export interface ReviewPushDeps { isolation: IsolationState; appUrl(app: string): string }

/** Deploys one ref as `app` (pre-receive's deployPush, with the push's context); resolves with the exit code. */
export type DeployAs = (app: string, update: RefUpdate) => Promise<number>;

const branchOf = (u: RefUpdate): string => u.ref.slice('refs/heads/'.length);

/**
 * Handles the non-deploy branches of a push to `parent`: `undefined` parent (review apps off) only says what was
 * stored, but a deleted branch still destroys a review app left from when they were on. Returns the exit code: the
 * first failed review deploy fails the push. Deleted branches destroy their review apps only after every deploy
 * succeeded: a failed ref makes git reject the whole push, and a branch that stays keeps its review app.
 */
export async function pushReviewApps(db: Knex, deps: ReviewPushDeps | undefined, parent: ReviewAppRow | undefined,
  parentId: number, updates: RefUpdate[], say: Say, deployAs: DeployAs): Promise<number> {
  for (const u of updates.filter((x) => !isDeletion(x))) {
    if (!parent || !deps) {
      say(`-----> Branch ${branchOf(u)} stored; only the deploy branch (main) deploys, so nothing was deployed`);
      continue;
    }
    const code = await deployReviewApp(db, deps, parent, u, say, deployAs);
    if (code !== 0) return code;
  }
  for (const u of updates.filter(isDeletion)) {
    const branch = branchOf(u);
    const destroyed = await destroyReviewAppOf(db, { id: parentId }, branch);
    say(destroyed ? `-----> Deleted branch ${branch}; review app ${destroyed} destroyed` : `-----> Deleted branch ${branch}`);
  }
  return 0;
}

/** Whether a build of the app has no final outcome yet (queued, building, or its release still rolling out). */
async function stillBuilding(db: Knex, appId: number): Promise<boolean> {
  const builds = await db('builds').where({ app_id: appId }).select('id') as Array<{ id: string }>;
  for (const b of builds) if (await pushOutcome(db, b.id) === 'running') return true;
  return false;
}

/**
 * Deploys a branch to its review app. A review app made by this push whose first deploy fails (or is refused) is
 * removed again: its branch is not stored, so no later `git push :branch` could name it.
 */
async function deployReviewApp(db: Knex, deps: ReviewPushDeps, parent: ReviewAppRow, u: RefUpdate, say: Say, deployAs: DeployAs): Promise<number> {
  const branch = branchOf(u);
  const { app, created } = await ensureReviewApp(db, parent, branch, deps.isolation);
  say(`-----> ${created ? 'Creating' : 'Updating'} review app ${app.name} for branch ${branch}`);
  let code = 1;
  try {
    code = await deployAs(app.name, u);
  } finally {
    if (code !== 0 && created && await stillBuilding(db, app.id)) {
      // The push stopped waiting (its outcome's time limit, a lost connection), not the build: removing the app now
      // would pull it from under the builder. It stays until the expiry sweep or apps:destroy.
      say(` !     Review app ${app.name} is still building; it was kept, and expires like any review app`);
    } else if (code !== 0 && created) {
      await db.transaction((trx) => removeApp(trx, app));
      say(` !     Review app ${app.name} was not deployed, so it was removed; the branch ${branch} was not stored`);
    }
  }
  if (code === 0) say(`-----> Review app ${app.name} is live at ${deps.appUrl(app.name)}`);
  else if (!created) say(` !     Review app ${app.name} was not deployed; the branch ${branch} was not stored`);
  return code;
}
