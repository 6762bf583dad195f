// web/api.ts — the JSON API under /api (bearer token). Errors are {"error":{"code","message"}}.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import { appForActor, type Actor } from '../core/access.ts';
import { userForToken } from '../core/accounts/users.ts';
import type { Config } from '../core/config.ts';
import { PaasError } from '../core/errors.ts';
import { createApp, destroyApp, listApps } from '../services/apps.ts';
import { buildLines, findBuild, listBuilds } from '../services/builds.ts';
import { appUrl } from '../services/release-spec.ts';
import { listReleases, rollback, setConfig, unsetConfig } from '../services/releases.ts';

async function actorOf(db: Knex, req: FastifyRequest): Promise<Actor & { kind: 'user' }> {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  const user = m ? await userForToken(db, m[1]!) : undefined;
  if (!user) throw new PaasError('E_UNAUTHENTICATED', 'Send an API token: Authorization: Bearer <token> (create one with tokens:create)');
  return { kind: 'user', user };
}

type AppParams = { Params: { app: string } };

/** Registers the /api routes. */
export async function registerApi(app: FastifyInstance, db: Knex, config: Config): Promise<void> {
  app.get('/api/apps', async (req) => {
    const apps = await listApps(db, await actorOf(db, req));
    return apps.map((a) => ({ name: a.name, owner: a.owner_email, url: appUrl(config, a.name), createdAt: a.created_at }));
  });
  app.post<{ Body: { name?: unknown } }>('/api/apps', async (req, reply) => {
    const actor = await actorOf(db, req);
    const created = await createApp(db, actor.user, typeof req.body?.name === 'string' ? req.body.name : '');
    return reply.code(201).send({ name: created.name, url: appUrl(config, created.name) });
  });
  app.get<AppParams>('/api/apps/:app', async (req) => {
    const a = await appForActor(db, await actorOf(db, req), req.params.app);
    return { name: a.name, url: appUrl(config, a.name), formation: a.formation, createdAt: a.created_at };
  });
  app.delete<AppParams & { Querystring: { confirm?: string } }>('/api/apps/:app', async (req, reply) => {
    await destroyApp(db, await actorOf(db, req), req.params.app, req.query.confirm);
    return reply.code(204).send();
  });
  app.get<AppParams>('/api/apps/:app/config', async (req) => (await appForActor(db, await actorOf(db, req), req.params.app)).config);
  app.patch<AppParams & { Body: Record<string, unknown> }>('/api/apps/:app/config', async (req) => {
    const actor = await actorOf(db, req);
    const body = req.body ?? {};
    const set = Object.entries(body).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${String(v)}`);
    const unset = Object.entries(body).filter(([, v]) => v === null).map(([k]) => k);
    const releases = [];
    if (set.length) releases.push(await setConfig(db, actor, req.params.app, set));
    if (unset.length) releases.push(await unsetConfig(db, actor, req.params.app, unset));
    return { releases: releases.filter(Boolean).map((r) => ({ version: r!.version, status: r!.status })) };
  });
  app.get<AppParams>('/api/apps/:app/releases', async (req) => {
    const rows = await listReleases(db, await appForActor(db, await actorOf(db, req), req.params.app));
    return rows.map((r) => ({ version: r.version, description: r.description, status: r.status, error: r.error, user: r.email, createdAt: r.created_at }));
  });
  app.post<AppParams & { Body: { version?: string } }>('/api/apps/:app/rollback', async (req, reply) => {
    const r = await rollback(db, await actorOf(db, req), req.params.app, req.body?.version);
    return reply.code(201).send({ version: r.version, description: r.description, status: r.status });
  });
  app.get<AppParams>('/api/apps/:app/builds', async (req) => {
    const rows = await listBuilds(db, await appForActor(db, await actorOf(db, req), req.params.app));
    return rows.map((b) => ({ id: b.id, number: b.number, status: b.status, stack: b.stack, ref: b.ref, rev: b.rev, error: b.error, createdAt: b.created_at }));
  });
  app.get<AppParams & { Params: { build: string } }>('/api/apps/:app/builds/:build/output', async (req) => {
    const build = await findBuild(db, await appForActor(db, await actorOf(db, req), req.params.app), req.params.build);
    return { number: build.number, status: build.status, lines: (await buildLines(db, build.id)).map((l) => l.line) };
  });
}
