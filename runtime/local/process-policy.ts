// runtime/local/process-policy.ts — pure rules for one process: its environment, its crash-restart backoff and when
// restarting gives up; used by instance.ts (the supervisor's options override the policy, as tests do).
import path from 'node:path';
import { defaultPath } from '../../core/app-env.ts';
import type { ReleaseSpec } from '../types.ts';

/** How a process ended: its exit code or signal, or why it could not be started. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: string;
}

/** Says how a process ended, for logs and E_RELEASE_BOOT_FAILED messages. */
export function describeExit(info: ExitInfo): string {
  if (info.error) return `could not be started (${info.error})`;
  if (info.signal) return `was killed by ${info.signal}`;
  return `exited with code ${info.code}`;
}

/** What the push says of a new non-web process once it settled: running, exited cleanly, restarting, or given up. */
export function settledState(p: { state: string; reason?: string }): string {
  if (p.state === 'up' || p.state === 'starting') return 'is running';
  if (p.state === 'exited') return 'exited (code 0): not restarted';
  if (p.state === 'crashed' && p.reason?.includes('not restarted')) return p.reason;
  if (p.state === 'crashed') return `crashed (${p.reason ?? 'exited'}); restarting`;
  return p.state;
}

/** How a process that exits non-zero is restarted, and when the platform gives up on it. */
export interface RestartPolicy {
  firstMs: number;
  maxMs: number;
  /** A process that stayed up this long is considered healthy again, so its next crash starts over at firstMs. */
  resetAfterUpMs: number;
  /** Consecutive crashes after which it is not restarted any more (Dokku's `on-failure:10`). */
  maxCrashes: number;
}

export const restartPolicy: Readonly<RestartPolicy> = Object.freeze({ firstMs: 1000, maxMs: 30_000, resetAfterUpMs: 60_000, maxCrashes: 10 });

/** Delay before restart number `consecutiveCrashes + 1`: 1 s, 2 s, 4 s … capped at 30 s. */
export function toRestartDelayMs(consecutiveCrashes: number, policy: Pick<RestartPolicy, 'firstMs' | 'maxMs'> = restartPolicy): number {
  return Math.min(policy.maxMs, policy.firstMs * 2 ** Math.min(consecutiveCrashes, 16));
}

/** What an exit means: done (code 0: not restarted), restart after a delay, or give up (too many crashes in a row). */
export type ExitVerdict = { kind: 'exited' } | { kind: 'restart'; delayMs: number } | { kind: 'give-up'; reason: string };

/** Decides what follows an exit of a supervised process; `consecutiveCrashes` counts this crash too. */
export function toExitVerdict(cleanExit: boolean, consecutiveCrashes: number, policy: RestartPolicy = restartPolicy): ExitVerdict {
  if (cleanExit) return { kind: 'exited' };
  if (consecutiveCrashes >= policy.maxCrashes) {
    return { kind: 'give-up', reason: `crashed ${consecutiveCrashes} times in a row; not restarted (ps:restart to try again)` };
  }
  return { kind: 'restart', delayMs: toRestartDelayMs(consecutiveCrashes - 1, policy) };
}

/**
 * The environment of one process: base env, then the release's vars, then what the platform owns
 * (PORT, DYNO, PATH). pathPrepend dirs are resolved against slugDir; node's own dir is appended so `node` always resolves.
 */
export function toProcessEnv(
  baseEnv: Record<string, string>,
  release: ReleaseSpec,
  dyno: string,
  port: number | undefined,
): Record<string, string> {
  const env: Record<string, string> = { ...baseEnv, ...release.env, DYNO: dyno };
  if (port !== undefined) env.PORT = String(port);
  const tail = release.env.PATH ?? baseEnv.PATH ?? defaultPath;
  const prepend = release.pathPrepend.map((dir) => path.resolve(release.slugDir, dir));
  env.PATH = [...prepend, tail, path.dirname(process.execPath)].join(path.delimiter);
  return env;
}

/** The indexes to start so that `have` grows to `quantity` instances, filling gaps first (web.1, web.2 …). */
export function indexesToAdd(have: number[], quantity: number): number[] {
  const taken = new Set(have);
  const out: number[] = [];
  for (let index = 1; taken.size + out.length < quantity; index++) if (!taken.has(index)) out.push(index);
  return out;
}
