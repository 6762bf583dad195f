// gitd/hook-server.ts — the socket the git hooks call back on. It maps a hook's GIT_DIR to the push session
// this process opened for that app (SSH or HTTP), and streams the hook's output back as NDJSON.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { reposRoot } from './repos.ts';
import { runPostReceive, runPreReceive, type PreReceiveDeps } from './pre-receive.ts';
import type { RefUpdate } from './refs.ts';

export interface PushSession { app: string; userId: number }

/** Push sessions this process has open, by app: set when the push lock is taken, cleared when it is released. */
export class PushSessions {
  private byApp = new Map<string, PushSession>();
  open(s: PushSession): void { this.byApp.set(s.app, s); }
  close(app: string): void { this.byApp.delete(app); }
  get(app: string): PushSession | undefined { return this.byApp.get(app); }
  size(): number { return this.byApp.size; }
}

interface HookRequest { refs: RefUpdate[]; env: Record<string, string> }

function readJson(req: http.IncomingMessage): Promise<HookRequest> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { body += c; });
    req.on('end', () => { try { resolve(JSON.parse(body)); } catch (e) { reject(e); } });
    req.on('error', reject);
  });
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
  const body = await readJson(req).catch(() => undefined);
  const app = appOfGitDir(deps.dataDir, body?.env.GIT_DIR);
  const session = app ? sessions.get(app) : undefined;
  if (!body || !app || !session) {
    send({ out: ' !     This push did not come through the platform\'s git server; push to the git remote the platform gave you' });
    send({ exit: 1 });
    res.end();
    return;
  }
  // The hook (and git with it) goes away when the client disconnects; the push still finishes here.
  let gone = false;
  res.once('close', () => { if (!res.writableEnded) gone = true; });
  const ctx = { app, userId: session.userId, gitDir: path.resolve(body.env.GIT_DIR!), hookEnv: body.env, clientGone: () => gone };
  if (req.url === '/pre-receive') {
    const code = await runPreReceive(deps, ctx, body.refs, (line) => send({ out: line }));
    send({ exit: code });
  } else {
    // The refs have moved already: a failure to announce them is logged, and cannot undo the push.
    await runPostReceive(deps, ctx, body.refs).catch((err: unknown) => deps.log.error({ err, app }, 'post-receive could not record the ref update'));
    send({ exit: 0 });
  }
  res.end();
}
