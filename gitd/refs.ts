// gitd/refs.ts — reads git's ref update lines and decides what they mean: which one deploys, which are just stored, which are refused.
import { PaasError } from '../core/errors.ts';

export interface RefUpdate { oldRev: string; newRev: string; ref: string }
export interface PushPlan { deploy?: RefUpdate; stored: RefUpdate[] }

/** Git's `<old> <new> <ref>` lines, as the hook gets them on its stdin. */
export function parseRefLines(text: string): RefUpdate[] {
  return text.split('\n').filter(Boolean).map((line) => {
    const [oldRev = '', newRev = '', ref = ''] = line.split(' ');
    return { oldRev, newRev, ref };
  });
}

const ZERO = /^0+$/;
export const isDeletion = (u: RefUpdate): boolean => ZERO.test(u.newRev);

/**
 * Only branches may be pushed; the deploy branch is main, or master when the repo has no main and none is pushed.
 * Deleting the deploy branch is refused. Tags are refused, so a tag push can never deploy.
 */
export function planPush(updates: RefUpdate[], repoHasMain: boolean): PushPlan {
  for (const u of updates) {
    if (!u.ref.startsWith('refs/heads/')) {
      throw new PaasError('E_PUSH_REF_INVALID', `${u.ref} is not a branch: only branches can be pushed here (push a branch, e.g. git push <remote> main)`);
    }
  }
  const pushesMain = updates.some((u) => u.ref === 'refs/heads/main');
  const deployRef = pushesMain || repoHasMain ? 'refs/heads/main' : 'refs/heads/master';
  const deploy = updates.find((u) => u.ref === deployRef);
  if (deploy && isDeletion(deploy)) {
    throw new PaasError('E_PUSH_DELETE_DEPLOY_BRANCH', `The deploy branch ${deployRef.slice(11)} cannot be deleted: it holds what is deployed (use apps:destroy to remove the app)`);
  }
  return { deploy, stored: updates.filter((u) => u !== deploy) };
}
