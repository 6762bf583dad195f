// runtime/docker/adopt.ts — after a platform restart, which of this platform's containers of an app are kept (adopted:
// running or restarting processes of the live release that its formation still wants, one per type and index) and
// which go (other releases, ended one-offs nobody removed, dead or duplicate ones). Used by DockerRuntime.restore.
import type Docker from 'dockerode';
import type { ReleaseSpec } from '../types.ts';
import { labels } from './names.ts';

export interface AdoptionPlan { keep: Docker.ContainerInfo[]; remove: Docker.ContainerInfo[] }

/**
 * Splits the app's containers (all of this platform) into those to adopt and those to remove; newest wins a duplicate.
 * One-offs (`run`) belong to the process that runs them (gitd, in split mode), so a controller restart leaves them
 * alone, until one is older than the run timeout (plus a minute): its runner kills it at the timeout and removes it
 * once ended, so one still there has lost its runner.
 */
export function planAdoption(found: Docker.ContainerInfo[], spec: ReleaseSpec, runTimeoutMs: number, now = Date.now()): AdoptionPlan {
  const keep: Docker.ContainerInfo[] = [];
  const remove: Docker.ContainerInfo[] = [];
  const taken = new Set<string>();
  for (const c of [...found].sort((a, b) => b.Created - a.Created)) {
    const l = c.Labels;
    if (l[labels.role] === 'run') {
      if (c.Created * 1000 < now - runTimeoutMs - 60_000) remove.push(c);
      continue;
    }
    const quantity = spec.processes.find((p) => p.type === l[labels.type])?.quantity ?? 0;
    const index = Number(l[labels.index]);
    const slot = `${l[labels.type]}.${index}`;
    const wanted = l[labels.role] === 'process' && l[labels.release] === String(spec.version) && index >= 1 && index <= quantity
      && (c.State === 'running' || c.State === 'restarting') && !taken.has(slot);
    if (wanted) {
      taken.add(slot);
      keep.push(c);
    } else {
      remove.push(c);
    }
  }
  return { keep, remove };
}
