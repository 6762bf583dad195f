// web/api-plans.ts — the JSON API of plans and usage: /api/plans (anyone reads; admins create, change, delete and
// assign), /api/usage (your own) and /api/admin/usage (every user's, admins; ?sort=&dir=). Registered by api.ts inside
// its authenticated scope; services/plans.ts and services/usage.ts check who may.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import { assignPlan, createPlan, deletePlan, listPlans, parseLimit, updatePlan, type Plan, type PlanLimits } from '../services/plans.ts';
import { allUsage, parseUsageSort, usageFor } from '../services/usage.ts';
import { invalidInput } from './api-schemas.ts';

const limit = { anyOf: [{ type: 'number' }, { type: 'string', maxLength: 20 }, { type: 'null' }] } as const;
const planBody = {
  type: 'object', additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 60 }, maxApps: limit, maxInstances: limit, maxMemoryMb: limit, buildMinutes: limit, maxDiskMb: limit,
    isDefault: { type: 'boolean' },
  },
} as const;
const planParams = { type: 'object', properties: { plan: { type: 'string', maxLength: 60 } }, required: ['plan'] } as const;
const KEYS = ['maxApps', 'maxInstances', 'maxMemoryMb', 'buildMinutes', 'maxDiskMb'] as const;

type PlanBody = Partial<Record<(typeof KEYS)[number], unknown>> & { name?: string; isDefault?: boolean };

/** The limits of a body; absent keys are left out, null is unlimited. */
function limitsOf(body: PlanBody): PlanLimits {
  const out: PlanLimits = {};
  for (const key of KEYS) if (body[key] !== undefined) out[key] = parseLimit(body[key], key);
  return out;
}

const planJson = (p: Plan) => ({
  name: p.name, maxApps: p.maxApps, maxInstances: p.maxInstances, maxMemoryMb: p.maxMemoryMb, buildMinutes: p.buildMinutes, maxDiskMb: p.maxDiskMb, isDefault: p.isDefault,
});

/** Registers the plan and usage routes; `actorOf` is api.ts's authenticated caller. */
export function registerPlanRoutes(api: FastifyInstance, db: Knex, config: Config, actorOf: (req: FastifyRequest) => Actor): void {
  const bad = invalidInput();
  const memory = config.appLimits.memoryMb;
  api.get('/api/plans', async () => (await listPlans(db)).map(planJson));
  api.post<{ Body: PlanBody }>('/api/plans', { schema: { body: planBody }, schemaErrorFormatter: bad }, async (req, reply) => {
    const plan = await createPlan(db, actorOf(req), req.body.name, limitsOf(req.body), req.body.isDefault === true);
    return reply.code(201).send(planJson(plan));
  });
  api.patch<{ Params: { plan: string }; Body: PlanBody }>('/api/plans/:plan', { schema: { params: planParams, body: planBody }, schemaErrorFormatter: bad }, async (req) => {
    return planJson(await updatePlan(db, actorOf(req), req.params.plan, limitsOf(req.body), req.body.isDefault));
  });
  api.delete<{ Params: { plan: string } }>('/api/plans/:plan', { schema: { params: planParams }, schemaErrorFormatter: bad }, async (req, reply) => {
    await deletePlan(db, actorOf(req), req.params.plan);
    return reply.code(204).send();
  });
  const assignBody = { type: 'object', additionalProperties: false, properties: { user: { type: 'string', maxLength: 320 }, project: { type: 'string', maxLength: 100 } } } as const;
  api.post<{ Params: { plan: string }; Body: { user?: string; project?: string } }>('/api/plans/:plan/assign', { schema: { params: planParams, body: assignBody }, schemaErrorFormatter: bad }, async (req) => {
    const plan = await assignPlan(db, actorOf(req), req.params.plan, req.body);
    return { plan: plan?.name ?? null, ...req.body };
  });
  api.get('/api/usage', async (req) => usageFor(db, config.dataDir, memory, actorOf(req)));
  api.get<{ Querystring: { sort?: string; dir?: string } }>('/api/admin/usage', async (req) => {
    return allUsage(db, config.dataDir, memory, actorOf(req), parseUsageSort(req.query.sort, req.query.dir));
  });
}
