// runtime/local/boot.ts — starting a release's processes for the Supervisor (supervisor.ts): web instances booted in
// parallel until they answer HTTP, other types started and watched for a moment; and the process type check.
import { PaasError } from '../../core/errors.ts';
import type { Say } from '../../core/say.ts';
import { ReleaseBootError } from '../boot-error.ts';
import type { Instance } from './instance.ts';
import { settledState } from './process-policy.ts';
import type { ReleaseSpec } from '../types.ts';
import { attr, withSpan } from '../../core/tracing.ts';

/** The span of one instance's start (its health check, for web, is a child: instance.ts). */
function instanceSpan<T>(instance: Instance, release: ReleaseSpec, fn: () => Promise<T>): Promise<T> {
  return withSpan('instance start', {
    [attr.app]: release.app, [attr.processType]: instance.type, [attr.processIndex]: instance.index, [attr.releaseVersion]: release.version,
  }, fn);
}

/** What starting processes needs from the Supervisor: a new live instance, stopping instances, and the settle time. */
export interface Starter {
  newInstance(release: ReleaseSpec, type: string, index: number, command: string): Instance;
  stopInstances(instances: Instance[]): Promise<void>;
  settleMs: number;
}

/** Throws E_PROCESS_TYPE_UNKNOWN, listing the release's types, unless it has `type`. */
export function checkType(release: ReleaseSpec, type: string): void {
  const known = release.processes.map((p) => p.type);
  if (known.includes(type)) return;
  throw new PaasError('E_PROCESS_TYPE_UNKNOWN', `No ${type} process type in v${release.version} of ${release.app} (it has: ${known.join(', ') || 'none'}).`);
}

/** Boots web instances in parallel; on the first failure stops them all and throws ReleaseBootError. */
export async function bootWeb(starter: Starter, release: ReleaseSpec, indexes: number[], say: Say): Promise<Instance[]> {
  const command = release.processes.find((p) => p.type === 'web')?.command ?? '';
  const instances = indexes.map((index) => starter.newInstance(release, 'web', index, command));
  const boots = instances.map(async (instance) => {
    say(`-----> Starting ${instance.dyno} (v${release.version})`);
    await instanceSpan(instance, release, async () => {
      const outcome = await instance.boot();
      if (!outcome.ok) throw new BootFailure(instance, outcome.reason);
    });
    say(`       ${instance.dyno} is up on port ${instance.port}`);
  });
  try {
    await Promise.all(boots);
    return instances;
  } catch (err) {
    await starter.stopInstances(instances);
    const failed = err instanceof BootFailure ? err : undefined;
    const reason = failed?.reason ?? (err as Error).message;
    say(`       ${failed?.instance.dyno ?? 'web'} ${reason}`);
    throw new ReleaseBootError(`Release v${release.version}'s web process did not start: ${reason}`, failed?.instance.lastLines ?? [], { cause: err });
  }
}

/**
 * Starts non-web instances; they are supervised from the start, so an early exit means a restart (or, with code 0,
 * the end), not a failed deploy. Each is watched for settleMs, so the push says which of those happened.
 */
export async function startOthers(starter: Starter, release: ReleaseSpec, type: string, indexes: number[], say: Say): Promise<Instance[]> {
  const command = release.processes.find((p) => p.type === type)?.command ?? '';
  const started: Instance[] = [];
  for (const index of indexes) {
    const instance = starter.newInstance(release, type, index, command);
    say(`-----> Starting ${instance.dyno} (v${release.version})`);
    await instanceSpan(instance, release, () => instance.boot());
    started.push(instance);
  }
  await Promise.all(started.map((instance) => instance.settle(starter.settleMs)));
  for (const instance of started) say(`       ${instance.dyno} ${settledState(instance)}`);
  return started;
}

/** Internal: which web instance failed to boot, and why. */
class BootFailure extends Error {
  constructor(readonly instance: Instance, readonly reason: string) {
    super(`${instance.dyno} ${reason}`);
  }
}
