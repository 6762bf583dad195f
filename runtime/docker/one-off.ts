// runtime/docker/one-off.ts — runs one container to its end (the release phase, app.json scripts, `run APP CMD…`):
// output relayed line by line as it comes, the exit code returned, killed on abort or timeout, always removed after.
// Used by the Docker runtime, and by runtime/select.ts for `run` in the process that takes the command (gitd).
import crypto from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { PaasError } from '../../core/errors.ts';
import { eachLine } from '../../core/lines.ts';
import type { OneOffInput, OneOffRunner, ReleaseSpec } from '../types.ts';
import { createContainer, removeContainer, toInnerPort, type ContainerLimits, type ContainerPlan } from './containers.ts';
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
      plan: this.plan(spec, 'run', input.command, { PORT: String(port) }), onLine: input.onLine, signal: input.signal, timeoutMs: input.timeoutMs,
    });
  }

  /** The container of a one-off of `spec` (its image, its env, DYNO `<role>.<n>`), under a name no other takes. */
  plan(spec: ReleaseSpec, role: 'release' | 'run', command: string, extraEnv: Record<string, string>): ContainerPlan {
    const n = crypto.randomInt(1000, 10000);
    return {
      platform: this.platform, app: spec.app, version: spec.version, type: role, index: n, role,
      name: `${containerName(this.platform, spec.app, spec.version, role, n)}-${crypto.randomBytes(3).toString('hex')}`,
      image: spec.image as string, command, env: { ...spec.env, ...extraEnv, DYNO: `${role}.${n}` }, limits: this.limits,
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
}

/** Runs the container to its end; resolves with its exit code (137 when it was killed on abort or timeout). */
export async function runContainerOnce(docker: Docker, run: OnceRun): Promise<number> {
  const container = await createContainer(docker, run.plan);
  let timer: NodeJS.Timeout | undefined;
  const kill = (): void => void container.kill().catch(() => undefined); // already ended: nothing to kill
  try {
    // Attached before it starts, so no line is missed.
    const stream = (await container.attach({ stream: true, stdout: true, stderr: true })) as unknown as Readable;
    const relayed = relay(docker, stream, run.onLine);
    run.signal?.addEventListener('abort', kill, { once: true });
    if (run.timeoutMs !== undefined) timer = setTimeout(kill, run.timeoutMs);
    await container.start();
    if (run.signal?.aborted) kill();
    const result = (await container.wait()) as { StatusCode: number };
    await relayed;
    return result.StatusCode;
  } finally {
    clearTimeout(timer);
    run.signal?.removeEventListener('abort', kill);
    await removeContainer(docker, container.id);
  }
}

/** Demuxes the attached stream and calls onLine per line of each side; resolves once both sides ended. */
function relay(docker: Docker, stream: Readable, onLine: OnceRun['onLine']): Promise<unknown> {
  const out = new PassThrough();
  const err = new PassThrough();
  docker.modem.demuxStream(stream, out, err);
  const ended = (): void => { out.end(); err.end(); };
  stream.once('end', ended);
  stream.once('close', ended);
  stream.once('error', ended);
  return Promise.all([eachLine(out, (l) => onLine(l, 'stdout')), eachLine(err, (l) => onLine(l, 'stderr'))]);
}
