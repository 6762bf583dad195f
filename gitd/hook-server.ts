// gitd/hook-server.ts — the socket the git hooks call back on. It maps a hook's GIT_DIR to the push session
// this process opened for that app (SSH or HTTP), and streams the hook's output back as NDJSON.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { isPaasError } from '../core/errors.ts';
import { attr, contextWith, failSpan, ROOT_CONTEXT, spanOf, type Context } from '../core/tracing.ts';
import { readAll } from '../core/read-all.ts';
import { reposRoot } from './repos.ts';
import { runPostReceive, runPreReceive, type PreReceiveDeps } from './pre-receive.ts';
import { parseRefLines, type RefUpdate } from './refs.ts';

/**
 * `busy`: the transport's idle clock stops while the push's hook runs (SSH); it returns the function that restarts it.
 * `trace`: the context of the push's receive span, the parent of its pre-receive span (the hook is another process).
 */
export interface PushSession { app: string; userId: number; busy?: () => () => void; trace?: Context }

/** Push sessions this process has open, by app: set when the push lock is taken, cleared when it is released. */
export class PushSessions {
  private byApp = new Map<string, PushSession>();
  open(s: PushSession): void { this.byApp.set(s.app, s); }
  close(app: string): void { this.byApp.delete(app); }
  get(app: string): PushSession | undefined { return this.byApp.get(app); }
  size(): number { return this.byApp.size; }
}

interface HookRequest { refs: RefUpdate[]; env: Record<string, string> }

/** The header in which hooks/hook.cjs sends its environment (URI-encoded JSON); the body is git's ref lines. */
const envHeader = 'x-paas-hook-env';
/** A ref line is under 400 bytes (two object ids and a ref name), so this is thousands of refs in one push. */
const hookBodyLimitBytes = 1024 * 1024;

/** The hook's request; undefined when it is not one (no environment header). Too large a body rejects. */
async function readHookRequest(req: http.IncomingMessage): Promise<HookRequest | undefined> {
  const header = req.headers[envHeader];
  const env = typeof header === 'string' ? (JSON.parse(decodeURIComponent(header)) as Record<string, string>) : undefined;
  const refs = parseRefLines(await readAll(req, hookBodyLimitBytes, 'The list of pushed refs'));
  return env && { refs, env };
}

/** The app a hook runs for, from its GIT_DIR: it must be a repo directly under the repo root. */
function appOfGitDir(dataDir: string, gitDir: string | undefined): string | undefined {
  if (!gitDir) return undefined;
  const resolved = path.resolve(gitDir);
  if (path.dirname(resolved) !== reposRoot(dataDir)) return undefined;
  const m = /^([a-z0-9-]+)\.git$/.exec(path.basename(resolved));
  return m?.[1];
}

/** Starts the hook socket server; resolves once it listens. */
export async function startHookServer(deps: PreReceiveDeps, sessions: PushSessions, socketPath: string): Promise<http.Server> {
  fs.rmSync(socketPath, { force: true });
  const server = http.createServer((req, res) => void handle(deps, sessions, req, res));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  fs.chmodSync(socketPath, 0o600);
  return server;
}

async function handle(deps: PreReceiveDeps, sessions: PushSessions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const send = (msg: object) => { if (!res.destroyed) res.write(JSON.stringify(msg) + '\n'); };
  let body: HookRequest | undefined;
  let refusal = 'This push did not come through the platform\'s git server; push to the git remote the platform gave you';
  try {
    body = await readHookRequest(req);
  } catch (err) {
    if (isPaasError(err)) refusal = err.message; // else: not a hook's request, so the refusal above
  }
  const app = appOfGitDir(deps.dataDir, body?.env.GIT_DIR);
  const session = app ? sessions.get(app) : undefined;
  if (!body || !app || !session) {
    send({ out: ` !     ${refusal}` });
    send({ exit: 1 });
    res.end();
    return;
  }
  // The hook (and git with it) goes away when the client disconnects; the push still finishes here.
  let gone = false;
  res.once('close', () => { if (!res.writableEnded) gone = true; });
  const ctx = { app, userId: session.userId, gitDir: path.resolve(body.env.GIT_DIR!), hookEnv: body.env, clientGone: () => gone };
  if (req.url === '/pre-receive') {
    const idle = session.busy?.() ?? (() => {});
    // The socket's request runs in no trace of ours: the push's own receive span is the parent.
    const { code, outcome } = await contextWith(session.trace ?? ROOT_CONTEXT, () => runPreReceive(deps, ctx, body!.refs, (line) => send({ out: line }))).finally(idle);
    // The push receive span (either transport) says the push's verdict: git's exit says nothing of a refused hook.
    const receive = session.trace && spanOf(session.trace);
    receive?.setAttribute(attr.outcome, outcome);
    if (code !== 0) failSpan(receive, 'push rejected');
    send({ exit: code });
  } else {
    // The refs have moved already: a failure to announce them is logged, and cannot undo the push.
    await contextWith(session.trace ?? ROOT_CONTEXT, () => runPostReceive(deps, ctx, body!.refs)).catch((err: unknown) => deps.log.error({ err, app }, 'post-receive could not record the ref update'));
    send({ exit: 0 });
  }
  res.end();
}
