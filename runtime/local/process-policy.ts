// runtime/local/process-policy.ts — pure rules for one process: its environment and its crash-restart backoff; used by instance.ts.
import path from 'node:path';
import { defaultPath } from '../../core/app-env.ts';
import type { ReleaseSpec } from '../types.ts';

export const backoff = {
  firstMs: 1000,
  maxMs: 30_000,
  /** A process that stayed up this long is considered healthy again, so its next crash starts over at firstMs. */
  resetAfterUpMs: 60_000,
} as const;

/** Delay before restart number `consecutiveCrashes + 1`: 1 s, 2 s, 4 s … capped at 30 s. */
export function toRestartDelayMs(consecutiveCrashes: number): number {
  return Math.min(backoff.maxMs, backoff.firstMs * 2 ** Math.min(consecutiveCrashes, 16));
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
