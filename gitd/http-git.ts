// gitd/http-git.ts — Git smart HTTP at /<app>.git, mounted in the web server (fastify); git itself runs in
// gitd/http-git-serve.ts. Auth is Basic with an API token as the password. Every refusal before git starts is a
// text/plain 4xx, so git shows its reason.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import { userForToken, type User } from '../core/accounts/users.ts';
import { appForActor } from '../core/access.ts';
import { isPaasError, PaasError } from '../core/errors.ts';
import { parseRepoPath } from '../core/names.ts';
import type { Logger } from '../core/logger.ts';
import type { Config } from '../core/config.ts';
import { loadGitLimits, type GitLimits } from '../core/git-limits.ts';
import { ensureRepo } from './repos.ts';
import { serveInfoRefs, serveRpc } from './http-git-serve.ts';
import { acquirePushLock, refuseIfPushLocked } from './push-lock.ts';
import type { PushSessions } from './hook-server.ts';
import { attr, contextOf, startSpan } from '../core/tracing.ts';

/**
 * `leaseSeconds`: the push lock's lease (config.leaseSeconds); `limits`: config.gitLimits (defaults when absent);
 * `hookSocket` and `hostEnv`: git runs with PATH and HOME and the socket its hooks call back on, nothing else of
 * this process's environment (a harness that gives neither lets git inherit the environment).
 */
export interface HttpGitDeps {
  db: Knex; dataDir: string; sessions: PushSessions; log: Logger; leaseSeconds?: number;
  limits?: GitLimits; hookSocket?: string; hostEnv?: Config['hostEnv'];
}

const SERVICES = new Set(['git-upload-pack', 'git-receive-pack']);

function refuse(reply: FastifyReply, status: number, message: string): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'Basic realm="paas git (API token as password)"');
  return reply.code(status).type('text/plain; charset=utf-8').send(message + '\n');
}

/** The user from Basic auth (any user name, an API token as the password). */
async function userOf(db: Knex, req: FastifyRequest): Promise<User | undefined> {
  const m = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return userForToken(db, password);
}

/** Registers the git routes on the web server. */
export async function registerGitHttp(app: FastifyInstance, deps: HttpGitDeps): Promise<void> {
  const limits = deps.limits ?? loadGitLimits({});
  const env = deps.hostEnv && deps.hookSocket ? { ...deps.hostEnv, PAAS_HOOK_SOCKET: deps.hookSocket } : process.env;
  const opts = { env, maxPushBytes: limits.maxPushBytes };
  // git's request bodies stay unread streams for http-git-serve.ts.
  app.addContentTypeParser(['application/x-git-upload-pack-request', 'application/x-git-receive-pack-request'], (_req, _payload, done) => done(null));
  const handler = async (req: FastifyRequest<{ Params: { repo: string }; Querystring: { service?: string } }>, reply: FastifyReply) => {
    const service = req.method === 'GET' ? req.query.service ?? '' : req.url.split('?')[0]!.split('/').pop()!;
    if (!req.params.repo.endsWith('.git')) return refuse(reply, 404, 'Not a git repository: use http://HOST/<app>.git');
    if (!SERVICES.has(service)) return refuse(reply, 403, 'Only git fetch and git push are served here (smart HTTP)');
    let gitDir: string;
    try {
      const appName = parseRepoPath(req.params.repo);
      const user = await userOf(deps.db, req);
      if (!user) return refuse(reply, 401, 'Authentication required: use an API token as the password (create one with: tokens:create)');
      // A fetch reads (project viewers may clone); a push deploys.
      await appForActor(deps.db, { kind: 'user', user }, appName, service === 'git-receive-pack' ? 'deploy' : 'read');
      if (service === 'git-receive-pack') {
        if (req.method === 'GET') await refuseIfPushLocked(deps.db, appName);
        if (req.method === 'POST') await holdPushLock(deps, appName, user, reply);
      }
      gitDir = await ensureRepo(deps.dataDir, appName);
    } catch (err) {
      if (!isPaasError(err)) throw err;
      return refuse(reply, err.status === 400 ? 404 : err.status, err.message);
    }
    const gitService = service === 'git-receive-pack' ? 'receive-pack' : 'upload-pack';
    if (req.method === 'GET') { reply.hijack(); serveInfoRefs(reply.raw, gitService, gitDir, opts); return reply; }
    try {
      await serveRpc(req.raw, reply.raw, gitService, gitDir, opts);
      reply.hijack();
      return reply;
    } catch (err) {
      if (!isPaasError(err)) throw err;
      return refuse(reply, err.status, err.message);
    }
  };
  app.get('/:repo/info/refs', handler);
  app.post('/:repo/git-upload-pack', handler);
  app.post('/:repo/git-receive-pack', handler);
}

/** Takes the push lock for the POST that runs receive-pack, and gives it back when the response ends. */
async function holdPushLock(deps: HttpGitDeps, app: string, user: User, reply: FastifyReply): Promise<void> {
  const lease = await acquirePushLock(deps.db, app, user.id, deps.leaseSeconds);
  // The push's root span (a child of the request's, web/request-tracing.ts); its pre-receive is the next child.
  const span = startSpan('push receive', { [attr.app]: app, 'paas.transport': 'http' });
  deps.sessions.open({ app, userId: user.id, trace: contextOf(span) });
  reply.raw.once('close', () => {
    span.end();
    deps.sessions.close(app);
    lease.release().catch((err: unknown) => deps.log.error({ err, app }, 'could not release the push lock; it expires by itself'));
  });
}
