// runtime/docker/one-off.ts — runs one container to its end (the release phase, app.json scripts, `run APP CMD…`):
// output relayed line by line as it comes, the exit code returned, killed on abort or timeout, always removed after.
// Used by the Docker runtime.
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { eachLine } from '../../core/lines.ts';
import { createContainer, removeContainer, type ContainerPlan } from './containers.ts';

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
