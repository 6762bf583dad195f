// web/api-review-apps.ts — the JSON API of an app's review apps: GET lists them with the settings, PUT changes the
// settings. Registered by api.ts inside its authenticated scope; services/review-apps.ts checks the app's access.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import { formatExpiry, parseExpiry } from '../core/review-names.ts';
import { appUrl } from '../services/release-spec.ts';
import { getReviewSettings, updateReviewSettings, type ReviewChange, type ReviewSettings } from '../services/review-apps.ts';
import { invalidInput } from './api-schemas.ts';

type AppParams = { Params: { app: string } };
/** `{"enabled": true, "expire": "7d" | "never", "config": {"KEY": "value", "OLD": null}}`, each optional. */
type ReviewBody = { enabled?: boolean; expire?: string; config?: Record<string, string | null> };

const params = { type: 'object', properties: { app: { type: 'string' } }, required: ['app'] } as const;
const putSchema = {
  params,
  body: {
    type: 'object', additionalProperties: false,
    properties: {
      enabled: { type: 'boolean' }, expire: { type: 'string', maxLength: 20 },
      config: { type: 'object', maxProperties: 500, additionalProperties: { type: ['string', 'null'] } },
    },
  },
} as const;

/** The settings as JSON: the expiry both as typed (7d) and in seconds (null = never). */
export function reviewJson(config: Config, s: ReviewSettings) {
  return {
    app: s.app, enabled: s.enabled, expire: formatExpiry(s.expireSeconds), expireSeconds: s.expireSeconds, config: s.config,
    reviewApps: s.reviewApps.map((r) => ({ ...r, url: appUrl(config, r.name) })),
  };
}

/** The service's change from a PUT body: null config values unset. */
function toChange(body: ReviewBody): ReviewChange {
  const entries = Object.entries(body.config ?? {});
  return {
    ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
    ...(body.expire !== undefined ? { expireSeconds: parseExpiry(body.expire) } : {}),
    set: entries.filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`),
    unset: entries.filter(([, v]) => v === null).map(([k]) => k),
  };
}

/** Registers GET and PUT /api/apps/:app/review-apps; `actorOf` is api.ts's authenticated caller. */
export function registerReviewAppRoutes(api: FastifyInstance, db: Knex, config: Config, actorOf: (req: FastifyRequest) => Actor): void {
  api.get<AppParams>('/api/apps/:app/review-apps', { schema: { params }, schemaErrorFormatter: invalidInput() },
    async (req) => reviewJson(config, await getReviewSettings(db, actorOf(req), req.params.app)));
  api.put<AppParams & { Body: ReviewBody }>('/api/apps/:app/review-apps', { schema: putSchema, schemaErrorFormatter: invalidInput() }, async (req) => {
    const s = await updateReviewSettings(db, actorOf(req), req.params.app, toChange(req.body ?? {}));
    return { ...reviewJson(config, s), destroyed: s.destroyed };
  });
}
