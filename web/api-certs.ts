// web/api-certs.ts — the JSON API of an app's HTTPS: its certificates (GET, POST an upload, DELETE it) and its
// redirect/HSTS options (PATCH /https). Registered by api.ts inside its authenticated scope; services/certs.ts checks
// the app's access first, so another user's app answers the same 404 as a missing one. The key is never sent back.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import { hostCertViews, httpsUnavailable } from '../services/cert-view.ts';
import { addCertificate, listCertificates, removeCertificate, setHttpsOptions, type HttpsOptions } from '../services/certs.ts';
import { apiSchemas as schemas, CERT_BODY_LIMIT, fieldErrors, invalidInput } from './api-schemas.ts';

type AppParams = { Params: { app: string } };

/** Registers /api/apps/:app/certs and /api/apps/:app/https; `actorOf` is api.ts's authenticated caller. */
export function registerCertRoutes(api: FastifyInstance, db: Knex, config: Config, actorOf: (req: FastifyRequest) => Actor): void {
  api.get<AppParams>('/api/apps/:app/certs', { schema: schemas.app, schemaErrorFormatter: invalidInput() }, async (req) => {
    const list = await listCertificates(db, actorOf(req), req.params.app, config);
    const views = new Map(hostCertViews(list, config).map((v) => [v.host, v]));
    return {
      app: list.app,
      httpsPort: config.edge === 'router' ? config.endpoints.routerTlsPort ?? null : 443,
      unavailable: httpsUnavailable(config) ?? null,
      hosts: list.hosts.map((h) => ({
        host: h.host, source: h.source ?? null, state: h.state, expiresAt: h.expiresAt ?? null, error: h.error ?? null,
        names: h.names ?? [], description: views.get(h.host)!.state,
      })),
      upload: list.upload ? { names: list.upload.names, expiresAt: list.upload.expiresAt, createdAt: list.upload.createdAt } : null,
      https: list.https,
    };
  });
  api.post<AppParams & { Body: { cert: string; key: string } }>('/api/apps/:app/certs', {
    schema: schemas.addCert, schemaErrorFormatter: invalidInput(fieldErrors.addCert), bodyLimit: CERT_BODY_LIMIT,
  }, async (req, reply) => {
    const added = await addCertificate(db, actorOf(req), req.params.app, req.body.cert, req.body.key, config.baseDomain);
    return reply.code(201).send({ names: added.names, expiresAt: added.expiresAt, hosts: added.hosts });
  });
  api.delete<AppParams>('/api/apps/:app/certs', { schema: schemas.app, schemaErrorFormatter: invalidInput() }, async (req, reply) => {
    await removeCertificate(db, actorOf(req), req.params.app);
    return reply.code(204).send();
  });
  api.patch<AppParams & { Body: Partial<HttpsOptions> }>('/api/apps/:app/https', {
    schema: schemas.setHttps, schemaErrorFormatter: invalidInput(fieldErrors.setHttps),
  }, async (req) => setHttpsOptions(db, actorOf(req), req.params.app, req.body));
}
