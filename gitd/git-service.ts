// gitd/git-service.ts — runs git's receive-pack or upload-pack for SSH and smart HTTP alike, with the platform's
// limits on the command line (so they hold for every repo, old or new): receive.maxInputSize from PAAS_MAX_PUSH_MB.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';
import { formatMb } from '../core/git-limits.ts';
import { PackLimitAnnotator } from './pkt-line.ts';

export type GitService = 'receive-pack' | 'upload-pack';

export interface GitRun { child: ChildProcessWithoutNullStreams; stdout: Readable }

/** The ` !     ` line a push over the size limit shows (after git's own "pack exceeds maximum allowed size"). */
export function tooLargeLine(maxPushBytes: number): string {
  return ` !     Push refused: the pack is larger than this platform's limit of ${formatMb(maxPushBytes)} per push (PAAS_MAX_PUSH_MB); nothing was stored`;
}

/**
 * Spawns `git <service> [--stateless-rpc [--advertise-refs]] <gitDir>` (argv, no shell). For receive-pack the
 * output passes through the annotator that adds the size-limit line.
 */
export function spawnGitService(service: GitService, gitDir: string, opts: { env: NodeJS.ProcessEnv; maxPushBytes: number; http?: 'advertise' | 'rpc' }): GitRun {
  const args = ['-c', `receive.maxInputSize=${opts.maxPushBytes}`, service];
  if (opts.http) args.push('--stateless-rpc');
  if (opts.http === 'advertise') args.push('--advertise-refs');
  const child = spawn('git', [...args, gitDir], { env: opts.env });
  if (service !== 'receive-pack' || opts.http === 'advertise') return { child, stdout: child.stdout };
  return { child, stdout: child.stdout.pipe(new PackLimitAnnotator(tooLargeLine(opts.maxPushBytes))) };
}
