// gitd/review-push.ts — the branches of a push other than the deploy branch, when the app has review apps
// (docs/user/review-apps.md): each pushed branch builds and deploys its review app through the normal pipeline (the
// same archive hand-over, its own builds and releases); each deleted branch destroys its review app.
import type { Knex } from 'knex';
import type { IsolationState } from '../core/isolation.ts';
import type { Say } from '../core/say.ts';
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
 * first failed review deploy fails the push.
 */
export async function pushReviewApps(db: Knex, deps: ReviewPushDeps | undefined, parent: ReviewAppRow | undefined,
  parentId: number, updates: RefUpdate[], say: Say, deployAs: DeployAs): Promise<number> {
  for (const u of updates) {
    const branch = branchOf(u);
    if (isDeletion(u)) {
      const destroyed = await destroyReviewAppOf(db, { id: parentId }, branch);
      say(destroyed ? `-----> Deleted branch ${branch}; review app ${destroyed} destroyed` : `-----> Deleted branch ${branch}`);
      continue;
    }
    if (!parent || !deps) {
      say(`-----> Branch ${branch} stored; only the deploy branch (main) deploys, so nothing was deployed`);
      continue;
    }
    const code = await deployReviewApp(db, deps, parent, u, say, deployAs);
    if (code !== 0) return code;
  }
  return 0;
}

async function deployReviewApp(db: Knex, deps: ReviewPushDeps, parent: ReviewAppRow, u: RefUpdate, say: Say, deployAs: DeployAs): Promise<number> {
  const branch = branchOf(u);
  const { app, created } = await ensureReviewApp(db, parent, branch, deps.isolation);
  say(`-----> ${created ? 'Creating' : 'Updating'} review app ${app.name} for branch ${branch}`);
  const code = await deployAs(app.name, u);
  if (code === 0) say(`-----> Review app ${app.name} is live at ${deps.appUrl(app.name)}`);
  else say(` !     Review app ${app.name} was not deployed; the branch ${branch} was not stored`);
  return code;
}
