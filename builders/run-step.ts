// builders/run-step.ts — runs one build command (argv, never a shell string) and relays its output line by line as it is
// printed; used by native.ts, and (runProcess) by the embedded mode's release phase and one-off processes (runtime/local).
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
  /** Told the detected stack right after detection, so a build that fails later is still labelled with it. */
  onStack?: (stack: string) => void;
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
  /** Its memory limit (MB) when not the platform's: the app's plan's memory per process. */
  memoryMb?: number;
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
  /** A deadline: past it the step is ended like a cancel, and fails with `message`. */
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

/** One process to run to its end: a build step, the release phase, a one-off `run`. */
export interface ProcessRun {
  argv: readonly [string, ...string[]];
  env: Record<string, string>;
  /** Each output line, as it is printed. */
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
  /** Names the sandbox's cgroup ('build' unless given). */
  name?: string;
  /** Longer lines are cut (core/lines.ts); unset: none are. */
  maxLineBytes?: number;
  /** Backpressure: a promise to await before reading more output, when the reader is behind. */
  drain?(): Promise<void> | undefined;
}

/** How a process ended; `spawnError` when it never started, `missing` when its program was not found in the sandbox. */
export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  oom: boolean;
  missing: boolean;
  aborted: boolean;
  spawnError?: NodeJS.ErrnoException;
}

/**
 * Runs a process in ctx.srcDir (in the app's sandbox when ctx.sandbox is set) in its own process group, relays its
 * output line by line, and resolves once it has ended and its output was read. ctx.signal ends it (SIGTERM, then
 * SIGKILL after a grace period); what it left running in its group is killed when it exits.
 */
export function runProcess(ctx: Omit<BuildContext, 'say'>, run: ProcessRun): Promise<ProcessEnd> {
  const sb = ctx.sandbox;
  const launch = sb?.launcher({ app: sb.app, name: run.name ?? 'build', uid: sb.uid, dir: ctx.srcDir, cacheDir: sb.cacheDir, argv: run.argv, env: run.env });
  let missing = false;
  const relay = (stream: 'stdout' | 'stderr') => (line: string) => {
    if (launch?.notFound?.(line)) missing = true; // said by the caller (step.missingTool) instead
    else run.onLine(line, stream);
  };
  const child = spawnRun(ctx.srcDir, run, launch);
  launch?.started();
  // A pipe that fails loses only output: the exit status still decides, so the error is not rethrown.
  const lineOpts = { maxLineBytes: run.maxLineBytes, drain: run.drain };
  const relayed = Promise.all(([['stdout', child.stdout], ['stderr', child.stderr]] as const)
    .map(([name, pipe]) => pipe && eachLine(pipe, relay(name), lineOpts).catch(() => undefined)));
  return new Promise<ProcessEnd>((resolve) => {
    let settled = false;
    const unwatch = killOnAbort(ctx.signal, child);
    const settle = (end: Omit<ProcessEnd, 'aborted'>) => {
      if (settled) return;
      settled = true;
      unwatch();
      resolve({ ...end, aborted: ctx.signal?.aborted ?? false });
    };
    // Leftover background processes would hold the output pipes open and hang the caller: end them.
    child.on('exit', () => killGroup(child.pid, 'SIGKILL'));
    child.on('error', (e: NodeJS.ErrnoException) => settle({ code: null, signal: null, oom: false, missing: e.code === 'ENOENT', spawnError: e }));
    // After a spawn 'error', 'close' still fires; the promise is settled by then, so it changes nothing.
    // 'close' comes once the pipes have ended; waiting for `relayed` too makes sure the last line was relayed first.
    child.on('close', (code, signal) => void relayed.then(() => {
      const oom = launch?.finish().oom ?? false;
      settle({ code, signal, oom, missing });
    }));
  });
}

/** Starts the process: through the sandbox's launcher, or as a plain child in a process group of its own. */
function spawnRun(dir: string, run: ProcessRun, launch: Launch | undefined): ChildProcess {
  if (launch) return spawn(launch.file, launch.args, launch.options);
  return spawn(run.argv[0], run.argv.slice(1), {
    cwd: dir,
    env: run.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so cancelling ends the tool's children too
  });
}

/** Ends the child's process group when `signal` aborts (SIGTERM, then SIGKILL after a grace period); returns the cleanup. */
function killOnAbort(signal: AbortSignal | undefined, child: ChildProcess): () => void {
  let graceTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    killGroup(child.pid, 'SIGTERM');
    graceTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), killGraceMs).unref();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return () => {
    signal?.removeEventListener('abort', onAbort);
    clearTimeout(graceTimer);
  };
}

/** Runs the step in ctx.srcDir, relaying output indented; throws E_BUILD_FAILED on a non-zero exit, a missing tool or cancellation. */
export async function runStep(ctx: BuildContext, step: Step): Promise<void> {
  if (ctx.signal?.aborted) throw cancelled(step, ctx.signal.reason);
  const deadline = step.timeout ? AbortSignal.timeout(step.timeout.ms) : undefined;
  const signal = deadline && ctx.signal ? AbortSignal.any([ctx.signal, deadline]) : deadline ?? ctx.signal;
  const end = await runProcess({ ...ctx, signal }, {
    argv: step.argv, env: { ...ctx.env, ...step.env },
    onLine: (line) => ctx.say(line.trim() === '' ? '' : indent + line), // no trailing blanks
  });
  if (end.spawnError) throw stepError(step, end.spawnError.code === 'ENOENT' ? step.missingTool : `${step.name} could not start: ${end.spawnError.message}`, end.spawnError);
  if (end.aborted) throw ctx.signal?.aborted || !step.timeout ? cancelled(step, ctx.signal?.reason) : stepError(step, step.timeout.message);
  if (end.code === 0) return;
  if (end.missing) throw stepError(step, step.missingTool);
  if (end.oom) throw stepError(step, `${step.name} ran out of memory (the limit is PAAS_APP_MEMORY_MB)`);
  throw stepError(step, `${step.name} failed (${end.code === null ? `killed by ${end.signal}` : `exit ${end.code}`})`);
}
