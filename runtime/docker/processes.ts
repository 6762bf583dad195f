// runtime/docker/processes.ts — the steps of a Docker deploy, scale and restart, as the local supervisor takes them:
// start a process container, boot web ones until they pass their startup check, start the other types, retire old
// ones (drain at the router, then stop and remove). Used by the Docker runtime (runtime.ts).
import type Docker from 'dockerode';
import type { Say } from '../../core/say.ts';
import { ReleaseBootError } from '../boot-error.ts';
import type { AppLog } from '../local/app-log.ts';
import type { Router } from '../router.ts';
import { waitUntilReady } from '../startup-check.ts';
import type { ReleaseSpec } from '../types.ts';
import { createContainer, hostPortOf, lastLinesOf, limitsFor, stopAndRemove, type ContainerLimits } from './containers.ts';
import type { LogFollowers } from './logs.ts';
import { containerName } from './names.ts';
import { attr, withSpan } from '../../core/tracing.ts';

/** One process container the runtime knows of. */
export interface Proc {
  id: string;
  type: string;
  index: number;
  version: number;
  /** Web: the host port on 127.0.0.1 the router sends to. */
  port?: number;
  phase?: 'starting' | 'stopping';
}

/** What the steps need from the runtime. */
export interface StepContext {
  docker: Docker;
  platform: string;
  limits: ContainerLimits;
  maxRestarts: number;
  bootTimeoutMs: number;
  graceMs: number;
  router: Router;
  followers: LogFollowers;
  log: AppLog;
  /** Containers being booted or retired, by id (status reports them as starting or stopping). */
  phases: Map<string, 'starting' | 'stopping'>;
  /** The port the image's process listens on inside (cached per image). */
  innerPort(image: string): Promise<number>;
}

/** Internal: which web process failed to boot, and why. */
class BootFailure extends Error {
  constructor(readonly dyno: string, readonly reason: string, readonly id?: string) {
    super(`${dyno} ${reason}`);
  }
}

/** Creates and starts one process container (web: published on 127.0.0.1), follows its logs; `exited` settles on its first exit. */
async function launch(ctx: StepContext, release: ReleaseSpec, type: string, index: number, suffix: string, watch?: AbortSignal): Promise<{ proc: Proc; exited: Promise<number | undefined> }> {
  const image = release.image as string;
  const innerPort = await ctx.innerPort(image);
  const command = release.processes.find((p) => p.type === type)?.command ?? '';
  const dyno = `${type}.${index}`;
  const container = await createContainer(ctx.docker, {
    platform: ctx.platform, app: release.app, version: release.version, type, index, role: 'process',
    name: `${containerName(ctx.platform, release.app, release.version, type, index)}${suffix}`,
    image, command, env: { ...release.env, PORT: String(innerPort), DYNO: dyno },
    limits: limitsFor(ctx.limits, release), // the plan's memory per process
    maxRestarts: ctx.maxRestarts, ...(type === 'web' ? { innerPort } : {}),
  });
  const proc: Proc = { id: container.id, type, index, version: release.version, phase: 'starting' };
  ctx.phases.set(proc.id, 'starting');
  // From the Engine's events since before the start, so an exit at once is seen even if the policy restarted it since.
  const exited = watch ? firstExit(ctx.docker, container.id, watch) : Promise.resolve(undefined);
  ctx.log.write(release.app, 'paas', `${dyno}: starting v${release.version}${command ? ` with command \`${command}\`` : " with the image's command"}`);
  try {
    await container.start();
    ctx.followers.follow(proc.id, release.app, dyno);
    if (type === 'web') proc.port = hostPortOf(await container.inspect(), innerPort);
  } catch (err) {
    throw new BootFailure(dyno, `could not be started (${(err as Error).message})`, proc.id);
  }
  return { proc, exited };
}

/** The exit code of the container's first run (its first `die` event), or undefined when `signal` aborts first. */
async function firstExit(docker: Docker, id: string, signal: AbortSignal): Promise<number | undefined> {
  const since = Math.floor(Date.now() / 1000) - 1;
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.getEvents({ since, filters: { container: [id], event: ['die'] } });
  } catch {
    return undefined; // no event stream: the startup check's timeout still bounds the boot
  }
  const readable = stream as NodeJS.ReadableStream & { destroy(): void };
  return new Promise((resolve) => {
    const done = (code: number | undefined): void => { signal.removeEventListener('abort', stop); readable.destroy(); resolve(code); };
    const stop = (): void => done(undefined);
    if (signal.aborted) return stop();
    signal.addEventListener('abort', stop, { once: true });
    let buffered = '';
    readable.on('data', (chunk: Buffer) => {
      // Only complete lines are parsed (an event may arrive in pieces); a throw here would be an uncaught exception.
      const lines = (buffered + chunk.toString('utf8')).split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const code = dieExitCode(line);
        if (code !== undefined) return done(code);
      }
    });
    readable.on('error', () => done(undefined));
  });
}

/** The exit code of a `die` event line; undefined for any other line, or one that is not JSON. */
export function dieExitCode(line: string): number | undefined {
  if (!line.includes('"die"')) return undefined;
  try {
    const event = JSON.parse(line) as { status?: string; Action?: string; Actor?: { Attributes?: { exitCode?: string } } };
    if (event.Action !== 'die' && event.status !== 'die') return undefined;
    return Number(event.Actor?.Attributes?.exitCode ?? NaN);
  } catch {
    return undefined;
  }
}

/** The promise's value, or undefined after ms (the timer cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), ms); });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The span of one container's start (and, for web, its health check): core/tracing.ts. */
function instanceSpan<T>(release: ReleaseSpec, type: string, index: number, fn: () => Promise<T>): Promise<T> {
  return withSpan('instance start', { [attr.app]: release.app, [attr.processType]: type, [attr.processIndex]: index, [attr.releaseVersion]: release.version }, fn);
}

/** Boots one web process: started, then its startup check passes (or it exits, or `cancel` aborts). */
function bootOne(ctx: StepContext, release: ReleaseSpec, index: number, suffix: string, cancel: AbortSignal, say: Say, started: Proc[]): Promise<Proc> {
  return instanceSpan(release, 'web', index, () => bootOneTraced(ctx, release, index, suffix, cancel, say, started));
}

async function bootOneTraced(ctx: StepContext, release: ReleaseSpec, index: number, suffix: string, cancel: AbortSignal, say: Say, started: Proc[]): Promise<Proc> {
  say(`-----> Starting web.${index} (v${release.version})`);
  const watch = new AbortController();
  try {
    const { proc, exited } = await launch(ctx, release, 'web', index, suffix, watch.signal);
    started.push(proc);
    const gone = new AbortController();
    void exited.then((code) => { if (code !== undefined) gone.abort(); });
    if (proc.port === undefined) {
      // It ended before the Engine published its port (exited at once): say how, as soon as the Engine tells.
      const code = await within(exited, 5000);
      throw new BootFailure(`web.${index}`, code === undefined ? 'stopped before its port was published' : `exited with code ${code}`, proc.id);
    }
    const port = proc.port;
    const outcome = await withSpan('health check', { [attr.app]: release.app, [attr.processType]: 'web', [attr.processIndex]: index },
      () => waitUntilReady(port, release.healthchecks, ctx.bootTimeoutMs, AbortSignal.any([gone.signal, cancel])));
    if (gone.signal.aborted) throw new BootFailure(`web.${index}`, `exited with code ${await exited}`, proc.id);
    if (!outcome.ok) throw new BootFailure(`web.${index}`, cancel.aborted ? 'was stopped: another web process failed' : outcome.reason, proc.id);
    say(`       web.${index} is up on port ${proc.port}`);
    return proc;
  } finally {
    watch.abort();
  }
}

/**
 * Boots web processes in parallel; on the first failure stops the others, removes every new container, and throws
 * ReleaseBootError (E_RELEASE_BOOT_FAILED) with the failed container's last lines. The caller's old ones keep serving.
 */
export async function bootWeb(ctx: StepContext, release: ReleaseSpec, indexes: number[], say: Say, suffix = ''): Promise<Proc[]> {
  const cancel = new AbortController();
  const started: Proc[] = [];
  const boots = indexes.map((index) => bootOne(ctx, release, index, suffix, cancel.signal, say, started).catch((err: unknown) => {
    cancel.abort();
    throw err;
  }));
  const results = await Promise.allSettled(boots);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (!failed) return started.map((p) => done(ctx, p)).sort((a, b) => a.index - b.index);
  const err = failed.reason as unknown;
  const failure = err instanceof BootFailure ? err : undefined;
  const lastLines = failure?.id ? await lastLinesOf(ctx.docker, failure.id) : [];
  // Every container this boot made goes, including ones that failed before they counted as started.
  const ids = new Set([...started.map((p) => p.id), ...results.flatMap((r) => (r.status === 'rejected' && r.reason instanceof BootFailure && r.reason.id ? [r.reason.id] : []))]);
  await removeNow(ctx, [...ids].map((id) => ({ id })));
  const reason = failure?.reason ?? (err as Error).message;
  say(`       ${failure?.dyno ?? 'web'} ${reason}`);
  throw new ReleaseBootError(`Release v${release.version}'s web process did not start: ${reason}`, lastLines, { cause: err });
}

/**
 * Starts other processes; the restart policy supervises them from the start, so an early exit is a crash, not a failed
 * deploy. One that cannot even be started fails the step (ReleaseBootError, the new ones removed) unless `live`: after
 * a deploy's route switch the release is live, so it is reported as crashed (push and app log) and the rest go on.
 */
export async function startOthers(ctx: StepContext, release: ReleaseSpec, type: string, indexes: number[], say: Say, suffix = '', live = false): Promise<Proc[]> {
  const started: Proc[] = [];
  for (const index of indexes) {
    say(`-----> Starting ${type}.${index} (v${release.version})`);
    try {
      const { proc } = await instanceSpan(release, type, index, () => launch(ctx, release, type, index, suffix));
      started.push(done(ctx, proc));
      say(`       ${type}.${index} is running`);
    } catch (err) {
      const reason = err instanceof BootFailure ? err.reason : (err as Error).message;
      if (err instanceof BootFailure && err.id) await removeNow(ctx, [{ id: err.id }]);
      if (live) {
        say(`       ${type}.${index} crashed: it ${reason}`);
        ctx.log.write(release.app, 'paas', `${type}.${index}: crashed: it ${reason}`);
        continue;
      }
      await removeNow(ctx, started);
      throw new ReleaseBootError(`v${release.version}'s ${type}.${index} ${reason}`, []);
    }
  }
  return started;
}

/** Takes processes out of service: the router drains their in-flight requests (up to graceMs), then they stop and go. */
export async function retire(ctx: StepContext, app: string, procs: Proc[], what: string, say: Say): Promise<void> {
  if (procs.length === 0) return;
  say(`-----> Stopping ${what}`);
  for (const p of procs) ctx.phases.set(p.id, 'stopping');
  await ctx.router.drain(procs.flatMap((p) => (p.type === 'web' && p.port !== undefined ? [p.port] : [])), ctx.graceMs);
  await Promise.all(procs.map(async (p) => {
    ctx.followers.unfollow(p.id);
    ctx.log.write(app, 'paas', `${p.type}.${p.index}: stopping (v${p.version})`);
    await stopAndRemove(ctx.docker, p.id, Math.ceil(ctx.graceMs / 1000));
    ctx.phases.delete(p.id);
  }));
}

/** Removes containers at once (a failed boot's, or ones no release wants). */
export async function removeNow(ctx: StepContext, procs: Pick<Proc, 'id'>[]): Promise<void> {
  await Promise.all(procs.map(async (p) => {
    ctx.followers.unfollow(p.id);
    await stopAndRemove(ctx.docker, p.id, 0);
    ctx.phases.delete(p.id);
  }));
}

function done(ctx: StepContext, proc: Proc): Proc {
  ctx.phases.delete(proc.id);
  delete proc.phase;
  return proc;
}
