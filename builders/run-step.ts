// builders/run-step.ts — runs one build command (argv, never a shell string) and relays its output line by line as it is
// printed; used by native.ts and by the embedded mode's release phase (runtime/local/driver.ts).
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { PaasError, type ErrorCode } from '../core/errors.ts';
import { eachLine } from '../core/lines.ts';
import { signalGroup } from '../core/process-group.ts';
import type { Say } from '../core/say.ts';

/** Indent for child output under a `-----> ` step line (blank lines are relayed as ''). */
export const indent = '       ';

/** What a build step runs in: the app's directory and base env, and where its output goes. */
export interface BuildContext {
  srcDir: string;
  /** Base env for child processes; already has PATH. */
  env: Record<string, string>;
  /** Receives one line of push output, without a trailing newline. */
  say: Say;
  signal?: AbortSignal;
  /** Embedded mode: starts each step in the app's sandbox (runtime/local/jail.ts); unset, steps run as plain children. */
  sandbox?: { launcher: Launcher; app: string; uid?: number; cacheDir?: string };
}

/** One process to start for an app: its argv and env, in its directory, as the app's uid. */
export interface LaunchRequest {
  app: string;
  /** e.g. 'web.1', 'build', 'release'; names the process's cgroup. */
  name: string;
  uid?: number;
  dir: string;
  cacheDir?: string;
  argv: readonly string[];
  env: Record<string, string>;
}

/** What to spawn for a LaunchRequest; started() right after spawn, finish() once the process has exited. */
export interface Launch {
  file: string;
  args: string[];
  options: SpawnOptions;
  started(): void;
  /** Whether an output line is the sandbox saying the program was not found (nothing of the app ran yet). */
  notFound?(line: string): boolean;
  /** Frees what the launch held; `oom` when the memory limit killed something in it. */
  finish(): { oom: boolean };
}

export type Launcher = (req: LaunchRequest) => Launch;

export interface Step {
  /** Short name used in the failure message, e.g. 'npm run build'. */
  name: string;
  argv: readonly [string, ...string[]];
  /** The message when argv[0] is not installed. */
  missingTool: string;
  /** Extra variables on top of the context's env. */
  env?: Record<string, string>;
  /** The code a failure is raised with; E_BUILD_FAILED unless given (the release phase uses its own). */
  errorCode?: ErrorCode;
  /** A deadline: past `ms` the step is stopped (as a cancel is) and fails with `message`. */
  timeout?: { ms: number; message: string };
}

/** How long a cancelled step gets between SIGTERM and SIGKILL. */
const killGraceMs = 5000;

/** Sends a signal to the step's whole process group (its children included); no pid means it never started. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid !== undefined) signalGroup(pid, signal);
}

function stepError(step: Step, message: string, cause?: unknown): PaasError {
  return new PaasError(step.errorCode ?? 'E_BUILD_FAILED', message, cause === undefined ? undefined : { cause });
}

function cancelled(step: Step, reason: unknown): PaasError {
  return stepError(step, `${step.name} was cancelled`, reason);
}

/** Starts the step's process in its own group; `relayed` resolves once both output pipes are read to their end. */
function startStep(ctx: BuildContext, step: Step): { child: ChildProcess; relayed: Promise<unknown>; launch?: Launch; missing: () => boolean } {
  const env = { ...ctx.env, ...step.env };
  const sb = ctx.sandbox;
  const launch = sb?.launcher({ app: sb.app, name: 'build', uid: sb.uid, dir: ctx.srcDir, cacheDir: sb.cacheDir, argv: step.argv, env });
  let missing = false;
  const relay = (line: string) => {
    if (launch?.notFound?.(line)) missing = true; // said as step.missingTool instead
    else ctx.say(line.trim() === '' ? '' : indent + line); // no trailing blanks
  };
  const child = launch
    ? spawn(launch.file, launch.args, launch.options)
    : spawn(step.argv[0], step.argv.slice(1), {
      cwd: ctx.srcDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // own process group, so cancelling ends the tool's children too
    });
  launch?.started();
  // A pipe that fails loses only output: the exit status still decides the step, so the error is not rethrown.
  const relayed = Promise.all([child.stdout, child.stderr].map((pipe) => pipe && eachLine(pipe, relay).catch(() => undefined)));
  return { child, relayed, launch, missing: () => missing };
}

/** Runs the step in ctx.srcDir, relaying output indented; throws E_BUILD_FAILED on a non-zero exit, a missing tool or cancellation. */
export function runStep(ctx: BuildContext, step: Step): Promise<void> {
  if (ctx.signal?.aborted) return Promise.reject(cancelled(step, ctx.signal.reason));
  const { child, relayed, launch, missing } = startStep(ctx, step);
  return new Promise<void>((resolve, reject) => {
    let graceTimer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const onAbort = () => {
      killGroup(child.pid, 'SIGTERM');
      graceTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), killGraceMs).unref();
    };
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = step.timeout && setTimeout(() => { timedOut = true; onAbort(); }, step.timeout.ms);
    const settle = (error?: PaasError) => {
      ctx.signal?.removeEventListener('abort', onAbort);
      clearTimeout(graceTimer);
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    };
    // Leftover background processes would hold the output pipes open and hang the build: end them.
    child.on('exit', () => killGroup(child.pid, 'SIGKILL'));
    child.on('error', (e: NodeJS.ErrnoException) => {
      const message = e.code === 'ENOENT' ? step.missingTool : `${step.name} could not start: ${e.message}`;
      settle(stepError(step, message, e));
    });
    // After a spawn 'error', 'close' still fires; the promise is settled by then, so it changes nothing.
    // 'close' comes once the pipes have ended; waiting for `relayed` too makes sure the last line was said first.
    child.on('close', (code, signal) => void relayed.then(() => {
      const oom = launch?.finish().oom;
      if (ctx.signal?.aborted) settle(cancelled(step, ctx.signal.reason));
      else if (timedOut) settle(stepError(step, step.timeout!.message));
      else if (code === 0) settle();
      else if (missing()) settle(stepError(step, step.missingTool));
      else if (oom) settle(stepError(step, `${step.name} ran out of memory (the limit is PAAS_APP_MEMORY_MB)`));
      else settle(stepError(step, `${step.name} failed (${code === null ? `killed by ${signal}` : `exit ${code}`})`));
    }));
  });
}
