// runtime/docker/one-off.ts — runs one container to its end (the release phase, app.json scripts, `run APP CMD…`):
// output relayed line by line as it comes, the exit code returned, killed on abort or timeout, always removed after.
// Used by the Docker runtime, and by runtime/select.ts for `run` in the process that takes the command (gitd).
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { PaasError } from '../../core/errors.ts';
import { eachLine } from '../../core/lines.ts';
import { maxOneOffLineBytes } from '../local/one-off.ts';
import type { OneOffInput, OneOffRunner, ReleaseSpec } from '../types.ts';
import { createContainer, limitsFor, removeContainer, toInnerPort, type ContainerLimits, type ContainerPlan } from './containers.ts';
import { demux } from './demux.ts';
import { containerName } from './names.ts';

/** One platform's one-off containers: from a release's image, with its env and the platform's limits. */
export class DockerOneOffs implements OneOffRunner {
  private readonly ports = new Map<string, Promise<number>>();

  constructor(private readonly docker: Docker, readonly platform: string, private readonly limits: ContainerLimits) {}

  /** `run APP CMD…`: a one-off container of the live release (role 'run'); resolves with its exit code. */
  async runOneOff(input: OneOffInput): Promise<number> {
    const { spec } = input;
    if (!spec.image) throw new PaasError('E_RUN_UNAVAILABLE', `v${spec.version} of ${spec.app} was built as a slug, not an image: \`run\` cannot start it in a container`);
    const port = await this.innerPort(spec.image);
    return runContainerOnce(this.docker, {
      plan: this.plan(spec, 'run', input.command, { PORT: String(port) }), onLine: input.onLine, signal: input.signal, timeoutMs: input.timeoutMs, drain: input.drain,
    });
  }

  /** The container of a one-off of `spec` (its image, its env, DYNO `<role>.<n>`), under a name no other takes. */
  plan(spec: ReleaseSpec, role: 'release' | 'run', command: string, extraEnv: Record<string, string>): ContainerPlan {
    const n = crypto.randomInt(1000, 10000);
    return {
      platform: this.platform, app: spec.app, version: spec.version, type: role, index: n, role,
      name: `${containerName(this.platform, spec.app, spec.version, role, n)}-${crypto.randomBytes(3).toString('hex')}`,
      image: spec.image as string, command, env: { ...spec.env, ...extraEnv, DYNO: `${role}.${n}` },
      limits: limitsFor(this.limits, spec), // the plan's memory per process
    };
  }

  /** The port the image's process listens on (asked once per image; asked again after a failure). */
  innerPort(image: string): Promise<number> {
    let port = this.ports.get(image);
    if (!port) {
      port = this.docker.getImage(image).inspect().then((info) => toInnerPort(info.Config?.ExposedPorts as Record<string, unknown> | undefined));
      this.ports.set(image, port);
      port.catch(() => this.ports.delete(image));
    }
    return port;
  }
}

/** One container to run once and what to do with its output. */
export interface OnceRun {
  plan: ContainerPlan;
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Backpressure (OneOffInput.drain): the container's output is read no faster than the client takes it. */
  drain?(): Promise<void> | undefined;
}

/**
 * Runs the container to its end; resolves with its exit code (137 when it was killed on abort or timeout, 127 when
 * the Engine could not create or start it: its message goes to onLine as stderr, as a shell says a command is missing).
 */
export async function runContainerOnce(docker: Docker, run: OnceRun): Promise<number> {
  let container: Docker.Container;
  try {
    container = await createContainer(docker, run.plan);
  } catch (err) {
    return cannotStart(run, err);
  }
  let timer: NodeJS.Timeout | undefined;
  const killed = new AbortController();
  const kill = (): void => { killed.abort(); void container.kill().catch(() => undefined); }; // already ended: nothing to kill
  let stream: Readable | undefined;
  try {
    // Attached before it starts, so no line is missed.
    stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
    const relayed = relay(stream, run, killed.signal);
    run.signal?.addEventListener('abort', kill, { once: true });
    if (run.timeoutMs !== undefined) timer = setTimeout(kill, run.timeoutMs);
    try {
      await container.start();
    } catch (err) {
      return cannotStart(run, err);
    }
    if (run.signal?.aborted) kill();
    const result = (await container.wait()) as { StatusCode: number };
    await relayed;
    return result.StatusCode;
  } finally {
    clearTimeout(timer);
    run.signal?.removeEventListener('abort', kill);
    stream?.destroy();
    await removeContainer(docker, container.id);
  }
}

/** The Engine's refusal as the one-off's stderr, and the shell's "command not found" code. */
function cannotStart(run: OnceRun, err: unknown): number {
  const e = err as { json?: { message?: string } | null; message?: string };
  run.onLine(`The container could not start: ${e.json?.message ?? e.message ?? String(err)}`, 'stderr');
  return 127;
}

/**
 * Calls onLine per line of each side (long lines cut at maxOneOffLineBytes), waiting on the client's drain; once the
 * container was killed its drain is not waited for (a client that never reads must not hold the run). Resolves once
 * both sides ended.
 */
function relay(stream: Readable, run: OnceRun, killed: AbortSignal): Promise<unknown> {
  const { stdout, stderr } = demux(stream);
  const drain = run.drain && ((): Promise<void> | undefined => {
    const wait = run.drain!();
    if (!wait || killed.aborted) return undefined;
    return new Promise<void>((resolve) => {
      const done = (): void => { killed.removeEventListener('abort', done); resolve(); };
      killed.addEventListener('abort', done);
      wait.then(done, done);
    });
  });
  const opts = { maxLineBytes: maxOneOffLineBytes, drain };
  return Promise.all([eachLine(stdout, (l) => run.onLine(l, 'stdout'), opts), eachLine(stderr, (l) => run.onLine(l, 'stderr'), opts)]);
}
