// web/api.ts — the JSON API under /api (bearer token). Errors are {"error":{"code","message"}}. Every route has a
// schema (api-schemas.ts); the token is checked first, so a caller without one learns nothing about the input.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import { appForActor, configRefusal, type Actor } from '../core/access.ts';
import { bearerOf } from '../core/bearer.ts';
import { userForToken } from '../core/accounts/users.ts';
import type { Config } from '../core/config.ts';
import { PaasError } from '../core/errors.ts';
import { recentLogLines, type RuntimeReader } from '../runtime/reader.ts';
import type { ProcessStatus } from '../runtime/types.ts';
import { createApp, destroyApp, listApps } from '../services/apps.ts';
import { buildLines, findBuild, listBuilds } from '../services/builds.ts';
import { autoscalingOf, removeAutoscale, setAutoscale, type AutoscaleInput } from '../services/autoscaling.ts';
import { formationOf, hasWebUrl } from '../services/formation.ts';
import { appUrl } from '../services/release-spec.ts';
import { listReleases, rollback, setConfig, unsetConfig } from '../services/releases.ts';
import { registerCertRoutes } from './api-certs.ts';
import { registerPlanRoutes } from './api-plans.ts';
import { registerWebhookRoutes } from './api-webhooks.ts';
import { registerReviewAppRoutes } from './api-review-apps.ts';
import { registerProjectRoutes } from './api-projects.ts';
import { registerSourceRoutes } from './api-source.ts';
import { apiSchemas as schemas, fieldErrors, invalidInput } from './api-schemas.ts';

type ApiActor = Actor & { kind: 'user' };

const actors = new WeakMap<FastifyRequest, ApiActor>();

async function authenticate(db: Knex, req: FastifyRequest): Promise<void> {
  const given = bearerOf(req.headers.authorization);
  const user = given !== undefined ? await userForToken(db, given) : undefined;
  if (!user) throw new PaasError('E_UNAUTHENTICATED', 'Send an API token: Authorization: Bearer <token> (create one with tokens:create)');
  actors.set(req, { kind: 'user', user });
}

/** The caller, as the onRequest hook authenticated them. */
const actorOf = (req: FastifyRequest): ApiActor => actors.get(req)!;

/** One process as GET /api/apps/:app/ps shows it. */
function processJson(p: ProcessStatus) {
  return {
    process: `${p.type}.${p.index}`, type: p.type, index: p.index, state: p.state, reason: p.reason ?? null, version: p.version,
    port: p.port ?? null, pod: p.name ?? null, restarts: p.restarts, since: p.since,
  };
}

type AppParams = { Params: { app: string } };

/** Registers the /api routes; `reader` answers ps and logs. */
export async function registerApi(app: FastifyInstance, db: Knex, config: Config, reader: RuntimeReader): Promise<void> {
  await app.register(async (api) => {
    api.addHook('onRequest', (req) => authenticate(db, req));
    const bad = invalidInput();
    api.get('/api/apps', async (req) => {
      const apps = await listApps(db, actorOf(req));
      // `reviewOf`: the parent of a review app (docs/user/review-apps.md), else null.
      const names = new Map(apps.map((a) => [a.id, a.name]));
      const reviewOf = (a: object) => { const p = (a as { parent_app_id?: number | null }).parent_app_id; return p ? names.get(p) ?? null : null; };
      return apps.map((a) => ({ name: a.name, owner: a.owner_email, project: a.project_name, url: appUrl(config, a.name), createdAt: a.created_at, reviewOf: reviewOf(a) }));
    });
    api.post<{ Body: { name?: string } }>('/api/apps', { schema: schemas.createApp, schemaErrorFormatter: invalidInput(fieldErrors.createApp) }, async (req, reply) => {
      const created = await createApp(db, actorOf(req).user, req.body.name ?? '', config.isolation);
      return reply.code(201).send({ name: created.name, url: appUrl(config, created.name) });
    });
    api.get<AppParams>('/api/apps/:app', { schema: schemas.app, schemaErrorFormatter: bad }, async (req) => {
      const a = await appForActor(db, actorOf(req), req.params.app, 'read');
      // What runs of each type of the live release (defaults and app.json included); no URL when no web process runs.
      const { entries, fromAppJson } = await formationOf(db, a);
      const formation = entries.length ? Object.fromEntries(entries.map((e) => [e.type, e.quantity])) : a.formation;
      const url = (await hasWebUrl(db, a)) ? appUrl(config, a.name) : null;
      const autoscaling = Object.fromEntries(autoscalingOf(a).map(({ type, ...s }) => [type, s]));
      return { name: a.name, url, formation, formationFromAppJson: fromAppJson !== undefined, autoscaling, createdAt: a.created_at };
    });
    api.delete<AppParams & { Querystring: { confirm?: string } }>('/api/apps/:app', { schema: schemas.destroyApp, schemaErrorFormatter: bad }, async (req, reply) => {
      await destroyApp(db, actorOf(req), req.params.app, req.query.confirm);
      return reply.code(204).send();
    });
    api.get<AppParams>('/api/apps/:app/config', { schema: schemas.app, schemaErrorFormatter: bad },
      async (req) => (await appForActor(db, actorOf(req), req.params.app, 'deploy', configRefusal(req.params.app))).config); // values are secrets
    api.patch<AppParams & { Body: Record<string, string | number | boolean | null>; Querystring: { restart?: string; encoded?: string } }>('/api/apps/:app/config', {
      schema: schemas.setConfig, schemaErrorFormatter: invalidInput(fieldErrors.setConfig),
    }, async (req) => {
      await appForActor(db, actorOf(req), req.params.app); // an empty body too: someone else's app is a 404
      const entries = Object.entries(req.body);
      const set = entries.filter(([, v]) => v !== null).map(([k, v]) => `${k}=${String(v)}`);
      const unset = entries.filter(([, v]) => v === null).map(([k]) => k);
      // As the CLI's --no-restart and --encoded: ?restart=false stores only; ?encoded=true takes base64 values.
      const opts = { restart: req.query.restart !== 'false', encoded: req.query.encoded === 'true' };
      const releases = [];
      if (set.length) releases.push(await setConfig(db, actorOf(req), req.params.app, set, opts));
      if (unset.length) releases.push(await unsetConfig(db, actorOf(req), req.params.app, unset, opts));
      return { releases: releases.filter(Boolean).map((r) => ({ version: r!.version, status: r!.status })) };
    });
    registerHistoryRoutes(api, db);
    registerRuntimeRoutes(api, db, reader);
    registerAutoscalingRoutes(api, db, config);
    registerCertRoutes(api, db, config, actorOf);
    registerPlanRoutes(api, db, config, actorOf);
    registerWebhookRoutes(api, db, config, actorOf);
    registerReviewAppRoutes(api, db, config, actorOf);
    registerProjectRoutes(api, db, actorOf);
    registerSourceRoutes(api, db, config, actorOf);
  });
}

/** Releases, rollback and builds. */
function registerHistoryRoutes(api: FastifyInstance, db: Knex): void {
  const bad = invalidInput();
  api.get<AppParams>('/api/apps/:app/releases', { schema: schemas.app, schemaErrorFormatter: bad }, async (req) => {
    const rows = await listReleases(db, await appForActor(db, actorOf(req), req.params.app, 'read'));
    return rows.map((r) => ({ version: r.version, description: r.description, status: r.status, error: r.error, user: r.email, createdAt: r.created_at }));
  });
  api.post<AppParams & { Body: { version?: string | number } | null }>('/api/apps/:app/rollback', {
    schema: schemas.rollback, schemaErrorFormatter: invalidInput(fieldErrors.rollback),
  }, async (req, reply) => {
    const version = req.body?.version;
    const r = await rollback(db, actorOf(req), req.params.app, version === undefined ? undefined : String(version));
    return reply.code(201).send({ version: r.version, description: r.description, status: r.status });
  });
  api.get<AppParams>('/api/apps/:app/builds', { schema: schemas.app, schemaErrorFormatter: bad }, async (req) => {
    const rows = await listBuilds(db, await appForActor(db, actorOf(req), req.params.app, 'read'));
    return rows.map((b) => ({ id: b.id, number: b.number, status: b.status, stack: b.stack, ref: b.ref, rev: b.rev, error: b.error, createdAt: b.created_at }));
  });
  api.get<AppParams & { Params: { build: string } }>('/api/apps/:app/builds/:build/output', {
    schema: schemas.buildOutput, schemaErrorFormatter: invalidInput(fieldErrors.buildOutput),
  }, async (req) => {
    const build = await findBuild(db, await appForActor(db, actorOf(req), req.params.app, 'read'), req.params.build);
    return { number: build.number, status: build.status, lines: (await buildLines(db, build.id)).map((l) => l.line) };
  });
}

/** What runs (ps) and what it printed (logs), through the runtime's read port. */
function registerRuntimeRoutes(api: FastifyInstance, db: Knex, reader: RuntimeReader): void {
  api.get<AppParams>('/api/apps/:app/ps', { schema: schemas.app, schemaErrorFormatter: invalidInput() }, async (req) => {
    const a = await appForActor(db, actorOf(req), req.params.app, 'read');
    return (await reader.status(a.name)).map(processJson);
  });
  api.get<AppParams & { Querystring: { lines: string } }>('/api/apps/:app/logs', {
    schema: schemas.logs, schemaErrorFormatter: invalidInput(fieldErrors.logs),
  }, async (req) => {
    const a = await appForActor(db, actorOf(req), req.params.app, 'read');
    return { lines: await recentLogLines(reader, a.name, Number(req.query.lines)) };
  });
}

type TypeParams = { Params: { app: string; type: string } };

/** ps:autoscale (PUT `{"min":1,"max":5,"cpu":70}`) and ps:autoscale:off (DELETE, idempotent: 204 when the type was not autoscaled either); Kubernetes mode only (E_AUTOSCALE_UNAVAILABLE). */
function registerAutoscalingRoutes(api: FastifyInstance, db: Knex, config: Config): void {
  api.put<TypeParams & { Body: AutoscaleInput }>('/api/apps/:app/autoscaling/:type', {
    schema: schemas.setAutoscale, schemaErrorFormatter: invalidInput(fieldErrors.setAutoscale),
  }, async (req) => {
    const s = await setAutoscale(db, config.mode, actorOf(req), req.params.app, req.params.type, req.body);
    return { type: req.params.type, ...s };
  });
  api.delete<TypeParams>('/api/apps/:app/autoscaling/:type', { schema: schemas.autoscaleType, schemaErrorFormatter: invalidInput() }, async (req, reply) => {
    // Idempotent, as a DELETE is: a type that was not autoscaled is already off (204 too).
    await removeAutoscale(db, config.mode, actorOf(req), req.params.app, req.params.type);
    return reply.code(204).send();
  });
}
