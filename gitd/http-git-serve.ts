// gitd/http-git-serve.ts — the two halves of git smart HTTP once access is granted (gitd/http-git.ts checks it):
// the ref advertisement (GET info/refs) and the RPC (POST git-upload-pack / git-receive-pack), each one git
// process spawned with argv. The head of an RPC body is checked before git starts: a malformed or truncated
// pkt-line gets a 400 at once (node-git-server, used before, waited for a header that never came: a 20 s hang).
import type http from 'node:http';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import { PaasError } from '../core/errors.ts';
import { spawnGitService, type GitService } from './git-service.ts';
import { checkPktHead, pkt } from './pkt-line.ts';

export interface ServeOpts { env: NodeJS.ProcessEnv; maxPushBytes: number }

/** The pkt-line section of a request (commands, or wants) is small; more than this before its flush is refused. */
const HEAD_LIMIT_BYTES = 1024 * 1024;

function noCache(res: http.ServerResponse): void {
  res.setHeader('expires', 'Fri, 01 Jan 1980 00:00:00 GMT');
  res.setHeader('pragma', 'no-cache');
  res.setHeader('cache-control', 'no-cache, max-age=0, must-revalidate');
}

/** GET /<app>.git/info/refs?service=git-<service>: the service line, a flush, then git's advertisement. */
export function serveInfoRefs(res: http.ServerResponse, service: GitService, gitDir: string, opts: ServeOpts): void {
  res.statusCode = 200;
  res.setHeader('content-type', `application/x-git-${service}-advertisement`);
  noCache(res);
  res.write(Buffer.concat([pkt(`# service=git-${service}\n`), Buffer.from('0000')]));
  const { child, stdout } = spawnGitService(service, gitDir, { ...opts, http: 'advertise' });
  child.stdin.end();
  child.on('error', () => res.destroy());
  stdout.pipe(res);
}

/** The request body as git wrote it, inflated when the client compressed it. */
function bodyOf(req: http.IncomingMessage): Readable {
  const encoding = req.headers['content-encoding'];
  if (encoding === 'gzip' || encoding === 'x-gzip') return req.pipe(zlib.createGunzip());
  if (encoding === 'deflate') return req.pipe(zlib.createInflate());
  return req;
}

/** Reads the body up to the end of its pkt-line head; throws E_BAD_REQUEST when it is malformed or truncated. */
export function readPktHead(body: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const stop = (err?: Error) => {
      body.off('data', onData); body.off('end', onEnd); body.off('close', onEnd); body.off('error', onError);
      body.pause();
      if (err) reject(err); else resolve(buf);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const check = checkPktHead(buf);
      if (check.kind === 'complete') stop();
      else if (check.kind === 'malformed') stop(new PaasError('E_BAD_REQUEST', `Malformed git request: ${check.reason}`));
      else if (buf.length > HEAD_LIMIT_BYTES) stop(new PaasError('E_INPUT_TOO_LARGE', 'Malformed git request: no flush-pkt in the first 1 MiB'));
    };
    const onEnd = () => stop(new PaasError('E_BAD_REQUEST', 'Malformed git request: the body ends inside its pkt-lines (truncated)'));
    const onError = () => stop(new PaasError('E_BAD_REQUEST', 'Malformed git request: the body could not be read (bad compression?)'));
    body.on('data', onData);
    body.once('end', onEnd);
    body.once('close', onEnd); // the client went away before its head was complete
    body.once('error', onError);
  });
}

/**
 * POST /<app>.git/git-<service>: checks the head, then runs git with the head and the rest of the body on stdin.
 * Throws a PaasError (before anything is written) when the head is refused.
 */
export async function serveRpc(req: http.IncomingMessage, res: http.ServerResponse, service: GitService, gitDir: string, opts: ServeOpts): Promise<void> {
  const body = bodyOf(req);
  const head = await readPktHead(body);
  res.statusCode = 200;
  res.setHeader('content-type', `application/x-git-${service}-result`);
  noCache(res);
  const { child, stdout } = spawnGitService(service, gitDir, { ...opts, http: 'rpc' });
  child.stdin.on('error', () => undefined);
  child.on('error', () => res.destroy());
  stdout.pipe(res);
  child.stdin.write(head);
  body.pipe(child.stdin);
  body.resume();
  // git may stop reading early (a pack over receive.maxInputSize): the rest of the body is read and dropped, so
  // the client gets to read git's answer.
  child.once('close', () => { body.unpipe(child.stdin); body.resume(); });
}
