// builders/source-fetch.ts — downloads a build's source tarball from gitd (bearer build token) and unpacks it
// into the workspace with tar; used by the builder-pod entrypoint.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as delay } from 'node:timers/promises';
import { PaasError } from '../core/errors.ts';

export interface SourceRequest {
  url: string;
  token: string;
  workspace: string;
  /** Waits between attempts on network errors and 5xx answers (the last attempt fails the build). */
  retryDelaysMs?: readonly number[];
}

const defaultRetryDelaysMs = [1000, 2000, 4000] as const;

/** The error message gitd put in its JSON answer, when there is one. */
async function messageOf(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.trim().slice(0, 200) || res.statusText;
}

/** Turns a refused answer into the message a pusher reads; tokens are never retried. */
async function refusal(res: Response): Promise<PaasError> {
  const why = await messageOf(res);
  if (res.status === 401 || res.status === 403) {
    return new PaasError('E_UNAUTHENTICATED', `gitd refused the build token (HTTP ${res.status}: ${why}); tokens last 15 minutes, so push again`);
  }
  if (res.status === 404) return new PaasError('E_BUILD_NOT_FOUND', `gitd has no source for this build (HTTP 404: ${why})`);
  return new PaasError('E_BUILD_FAILED', `Fetching the source failed (HTTP ${res.status}: ${why})`);
}

/** GETs the tarball, retrying only what may pass on a second try (unreachable gitd, 5xx). */
async function requestSource(req: SourceRequest): Promise<Response> {
  const delays = req.retryDelaysMs ?? defaultRetryDelaysMs;
  for (let attempt = 0; ; attempt++) {
    let failure: PaasError;
    try {
      const res = await fetch(req.url, { headers: { authorization: `Bearer ${req.token}`, accept: 'application/x-tar' } });
      if (res.ok && res.body) return res;
      failure = await refusal(res);
      if (res.status < 500) throw failure;
    } catch (err) {
      if (err instanceof PaasError) throw err;
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      failure = new PaasError('E_BUILD_FAILED', `Cannot reach gitd at ${new URL(req.url).origin}: ${cause}`, { cause: err });
    }
    const wait = delays[attempt];
    if (wait === undefined) throw failure;
    await delay(wait);
  }
}

/** Streams the body into `tar -x` in the workspace; returns the number of bytes received. */
async function unpack(body: WebReadableStream<Uint8Array>, workspace: string): Promise<number> {
  mkdirSync(workspace, { recursive: true });
  // GNU tar refuses absolute and `..` member names by default; git archive writes neither. --ignore-zeros makes
  // tar read to the end of its input: otherwise it may exit at the end-of-archive blocks while the last bytes are
  // still in flight, and the copy fails with a premature close.
  const tar = spawn('tar', ['-x', '-f', '-', '-C', workspace, '--no-same-owner', '--ignore-zeros'], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => resolve(code ?? 1));
  });
  let bytes = 0;
  const count = new Transform({ transform(chunk: Buffer, _enc, done) { bytes += chunk.length; done(null, chunk); } });
  try {
    await pipeline(Readable.fromWeb(body), count, tar.stdin);
  } catch (err) {
    tar.kill();
    await exited.catch(() => 1);
    throw new PaasError('E_BUILD_FAILED', `Receiving the source failed: ${stderr.trim() || (err as Error).message}`, { cause: err });
  }
  const code = await exited;
  if (code !== 0) throw new PaasError('E_BUILD_FAILED', `Unpacking the source failed (tar exit ${code}): ${stderr.trim()}`);
  return bytes;
}

/** Downloads the build's source from gitd and unpacks it into req.workspace; returns the tarball's size. */
export async function fetchSource(req: SourceRequest): Promise<number> {
  const res = await requestSource(req);
  return unpack(res.body as WebReadableStream<Uint8Array>, req.workspace);
}
