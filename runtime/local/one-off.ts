// runtime/local/one-off.ts — the embedded mode's one-off processes (`run APP CMD…`): the command in the app's sandbox
// as its uid, with the live release's slug at /app and its environment (no PORT), as the release phase runs;
// output relayed line by line; resolves with the exit code. runtime/select.ts hands it to the CLI's run command.
import os from 'node:os';
import { runProcess, type ProcessEnd } from '../../builders/run-step.ts';
import { PaasError } from '../../core/errors.ts';
import type { Jail } from './jail.ts';
import { releaseProcessContext } from './release-process.ts';
import type { OneOffInput, OneOffRunner } from '../types.ts';

/** A line longer than this is relayed in pieces: output that never ends a line must not be held whole. */
export const maxOneOffLineBytes = 64 * 1024;

/** The exit code a shell reports for a process: its own, or 128 + the number of the signal that ended it. */
export function exitCodeOf(end: Pick<ProcessEnd, 'code' | 'signal'>): number {
  if (end.code !== null) return end.code;
  return 128 + (end.signal ? os.constants.signals[end.signal] ?? 0 : 0);
}

export class LocalOneOffRunner implements OneOffRunner {
  private started = 0;

  constructor(private readonly jail: Jail, private readonly baseEnv: Record<string, string>) {}

  /** Runs input.command with /bin/sh -c; killed when input.signal aborts or after input.timeoutMs. */
  async runOneOff(input: OneOffInput): Promise<number> {
    const { spec } = input;
    if (!spec.slugDir) throw new PaasError('E_RUN_UNAVAILABLE', `v${spec.version} of ${spec.app} runs from a container image, not a slug: \`run\` cannot start it here yet`);
    // DYNO run.N, as Heroku names one-off dynos.
    const ctx = await releaseProcessContext(this.jail, this.baseEnv, spec, `run.${++this.started}`);
    const signal = AbortSignal.any([input.signal, AbortSignal.timeout(input.timeoutMs)]);
    // The command line is a shell command by definition (as a Procfile's); the argv array keeps us from building one.
    const end = await runProcess({ ...ctx, signal }, {
      name: 'run', argv: ['/bin/sh', '-c', input.command], env: ctx.env, onLine: input.onLine, maxLineBytes: maxOneOffLineBytes, drain: input.drain,
    });
    if (end.spawnError || end.missing) {
      input.onLine(`/bin/sh could not start${end.spawnError ? `: ${end.spawnError.message}` : ' in the sandbox'}`, 'stderr');
      return 127;
    }
    if (end.oom) input.onLine(`The process ran out of memory (the limit is ${spec.memoryMb ?? this.jail.opts.limits.memoryMb} MB, ${spec.memoryMb ? "the app's plan" : 'PAAS_APP_MEMORY_MB'})`, 'stderr');
    return exitCodeOf(end);
  }
}
