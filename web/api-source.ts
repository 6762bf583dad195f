// web/api-source.ts — the JSON API of an app's Git host source (issue 13 §5): GET shows the repository, branch,
// webhook URL, secret, deploy key (public half) and recent deliveries; PUT connects; DELETE disconnects. Registered
// by api.ts inside its authenticated scope; services/git-sources.ts checks the app's access first.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import { connectSource, disconnectSource, getSource, listDeliveries, type DeliveryRow, type SourceView } from '../services/git-sources.ts';
import { apiSchemas as schemas, invalidInput } from './api-schemas.ts';

type AppParams = { Params: { app: string } };
type PutBody = { Body: { repoUrl: string; branch?: string; rotate?: boolean } };

const putSchema = {
  params: schemas.app.params,
  body: {
    type: 'object', required: ['repoUrl'], additionalProperties: false,
    properties: { repoUrl: { type: 'string', maxLength: 1000 }, branch: { type: 'string', maxLength: 1000 }, rotate: { type: 'boolean' } },
  },
} as const;

/** The web port's base URL as the caller reached it: the webhook URL the Git host must call. */
export function baseUrlOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}`;
}

/** A source as the API shows it (camelCase; the webhook URL made absolute). */
export function sourceJson(base: string, s: SourceView, deliveries?: DeliveryRow[]) {
  return {
    app: s.app, repoUrl: s.repoUrl, branch: s.branch, webhookUrl: base + s.webhookPath, webhookSecret: s.webhookSecret,
    deployKey: s.deployKey, connectedAt: s.connectedAt,
    ...(deliveries ? { deliveries: deliveries.map((d) => ({
      id: d.delivery_id, format: d.format, event: d.event, ref: d.ref, rev: d.rev, outcome: d.outcome, detail: d.detail, buildId: d.build_id, receivedAt: d.received_at,
    })) } : {}),
  };
}

/** Registers /api/apps/:app/source; `actorOf` is api.ts's authenticated caller. */
export function registerSourceRoutes(api: FastifyInstance, db: Knex, config: Config, actorOf: (req: FastifyRequest) => Actor): void {
  api.get<AppParams>('/api/apps/:app/source', { schema: schemas.app, schemaErrorFormatter: invalidInput() }, async (req) => {
    const source = await getSource(db, actorOf(req), req.params.app);
    return sourceJson(baseUrlOf(req), source, await listDeliveries(db, actorOf(req), req.params.app));
  });
  api.put<AppParams & PutBody>('/api/apps/:app/source', { schema: putSchema, schemaErrorFormatter: invalidInput() }, async (req) => {
    const source = await connectSource(db, actorOf(req), req.params.app, req.body, config.gitSources.allowPrivate);
    return sourceJson(baseUrlOf(req), source);
  });
  api.delete<AppParams>('/api/apps/:app/source', { schema: schemas.app, schemaErrorFormatter: invalidInput() }, async (req, reply) => {
    await disconnectSource(db, actorOf(req), req.params.app);
    return reply.code(204).send();
  });
}
