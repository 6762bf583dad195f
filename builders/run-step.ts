// builders/run-step.ts — runs one build command (argv, never a shell string) and relays its output line by line as it is printed; used by native.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { PaasError } from '../core/errors.ts';

/** Indent for child output under a `-----> ` step line (blank lines are relayed as ''). */
export const indent = '       ';

/** Splits a byte stream into lines on \n, \r\n or \r, keeping UTF-8 characters whole across chunks. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private lastWasCR = false;

  constructor(private readonly onLine: (line: string) => void) {}

  /** Feeds a chunk; emits every complete line it finishes. */
  push(chunk: Buffer | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (this.lastWasCR && text.startsWith('\n')) text = text.slice(1);
    if (text === '') return;
    this.lastWasCR = text.endsWith('\r');
    const pieces = (this.partial + text).split(/\r\n|\r|\n/);
    this.partial = pieces.pop() ?? '';
    for (const line of pieces) this.onLine(line);
  }

  /** Emits the last line when it had no line ending. */
  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.onLine(rest);
  }
}

export interface StepContext {
  srcDir: string;
  env: Record<string, string>;
  log(line: string): void;
  signal?: AbortSignal;
}

export interface Step {
  /** Short name used in the failure message, e.g. 'npm run build'. */
  name: string;
  argv: readonly [string, ...string[]];
  /** The message when argv[0] is not installed. */
  missingTool: string;
  /** Extra variables on top of the context's env. */
  env?: Record<string, string>;
}

/** How long a cancelled step gets between SIGTERM and SIGKILL. */
const killGraceMs = 5000;

/** Sends a signal to the step's whole process group (its children included); ESRCH means it is already gone. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

function cancelled(step: Step, reason: unknown): PaasError {
  return new PaasError('E_BUILD_FAILED', `${step.name} was cancelled`, { cause: reason });
}

/** Starts the step's process in its own group, relaying stdout and stderr line by line as they arrive. */
function startStep(ctx: StepContext, step: Step): { child: ChildProcess; flush(): void } {
  const relay = (line: string) => ctx.log(line.trim() === '' ? '' : indent + line); // no trailing blanks
  const out = new LineSplitter(relay);
  const err = new LineSplitter(relay);
  const child = spawn(step.argv[0], step.argv.slice(1), {
    cwd: ctx.srcDir,
    env: { ...ctx.env, ...step.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so cancelling ends the tool's children too
  });
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  return { child, flush: () => (out.flush(), err.flush()) };
}

/** Runs the step in ctx.srcDir, relaying output indented; throws E_BUILD_FAILED on a non-zero exit, a missing tool or cancellation. */
export function runStep(ctx: StepContext, step: Step): Promise<void> {
  if (ctx.signal?.aborted) return Promise.reject(cancelled(step, ctx.signal.reason));
  const { child, flush } = startStep(ctx, step);
  return new Promise<void>((resolve, reject) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      killGroup(child.pid, 'SIGTERM');
      graceTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), killGraceMs).unref();
    };
    ctx.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (error?: PaasError) => {
      ctx.signal?.removeEventListener('abort', onAbort);
      clearTimeout(graceTimer);
      if (error) reject(error);
      else resolve();
    };
    // Leftover background processes would hold the output pipes open and hang the build: end them.
    child.on('exit', () => killGroup(child.pid, 'SIGKILL'));
    child.on('error', (e: NodeJS.ErrnoException) => {
      const message = e.code === 'ENOENT' ? step.missingTool : `${step.name} could not start: ${e.message}`;
      settle(new PaasError('E_BUILD_FAILED', message, { cause: e }));
    });
    // After a spawn 'error', 'close' still fires; the promise is settled by then, so it changes nothing.
    child.on('close', (code, signal) => {
      flush();
      if (ctx.signal?.aborted) settle(cancelled(step, ctx.signal.reason));
      else if (code === 0) settle();
      else settle(new PaasError('E_BUILD_FAILED', `${step.name} failed (${code === null ? `killed by ${signal}` : `exit ${code}`})`));
    });
  });
}
