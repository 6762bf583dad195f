// web/api-projects.ts — the JSON API of projects: list and create (/api/projects), one project's apps and members
// (/api/projects/:project), putting apps in and out, and members in, out or to another role. Registered by api.ts
// inside its authenticated scope; services/projects.ts checks membership, so a project the caller is not in answers
// the same 404 as a missing one.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import type { User } from '../core/accounts/users.ts';
import {
  addAppToProject, createProject, listProjects, projectDetail, removeAppFromProject, removeProjectMember, setProjectMember,
} from '../services/projects.ts';
import { invalidInput } from './api-schemas.ts';

const str = { type: 'string', maxLength: 300 } as const;
const projectParams = { type: 'object', properties: { project: str }, required: ['project'] } as const;
const nameError = { code: 'E_PROJECT_NAME_INVALID', message: 'The project name must be a string: 1-63 lowercase letters, digits and hyphens' } as const;

/** Route schemas; the services judge the names themselves (core/names.ts) and the role. */
const schemas = {
  create: { body: { type: 'object', required: ['name'], properties: { name: str } } },
  project: { params: projectParams },
  addApp: { params: projectParams, body: { type: 'object', required: ['app'], properties: { app: str } } },
  removeApp: { params: { type: 'object', properties: { project: str, app: str }, required: ['project', 'app'] } },
  addMember: { params: projectParams, body: { type: 'object', required: ['email'], properties: { email: str, role: str } } },
  removeMember: { params: { type: 'object', properties: { project: str, email: str }, required: ['project', 'email'] } },
};

type P = { Params: { project: string } };

/** Registers /api/projects…; `actorOf` is api.ts's authenticated caller. */
export function registerProjectRoutes(api: FastifyInstance, db: Knex, actorOf: (req: FastifyRequest) => Actor & { kind: 'user'; user: User }): void {
  const bad = invalidInput();
  api.get('/api/projects', async (req) => listProjects(db, actorOf(req)));
  api.post<{ Body: { name: string } }>('/api/projects', { schema: schemas.create, schemaErrorFormatter: invalidInput({ 'body/name': nameError, body: nameError }) }, async (req, reply) => {
    const p = await createProject(db, actorOf(req).user, req.body.name);
    return reply.code(201).send({ name: p.name, role: 'owner', createdAt: p.created_at });
  });
  api.get<P>('/api/projects/:project', { schema: schemas.project, schemaErrorFormatter: bad }, async (req) => projectDetail(db, actorOf(req), req.params.project));
  api.post<P & { Body: { app: string } }>('/api/projects/:project/apps', { schema: schemas.addApp, schemaErrorFormatter: bad }, async (req, reply) => {
    const from = await addAppToProject(db, actorOf(req), req.params.project, req.body.app);
    return reply.code(201).send({ project: req.params.project, app: req.body.app, movedFrom: from ?? null });
  });
  api.delete<{ Params: { project: string; app: string } }>('/api/projects/:project/apps/:app', { schema: schemas.removeApp, schemaErrorFormatter: bad }, async (req, reply) => {
    await removeAppFromProject(db, actorOf(req), req.params.project, req.params.app);
    return reply.code(204).send();
  });
  // Adds a member, or changes the role of one already in (200 then; 201 when added). The role defaults to member.
  api.post<P & { Body: { email: string; role?: string } }>('/api/projects/:project/members', { schema: schemas.addMember, schemaErrorFormatter: bad }, async (req, reply) => {
    const role = req.body.role ?? 'member';
    const { user, added } = await setProjectMember(db, actorOf(req), req.params.project, req.body.email, role);
    return reply.code(added ? 201 : 200).send({ email: user.email, role });
  });
  api.delete<{ Params: { project: string; email: string } }>('/api/projects/:project/members/:email', { schema: schemas.removeMember, schemaErrorFormatter: bad }, async (req, reply) => {
    await removeProjectMember(db, actorOf(req), req.params.project, req.params.email);
    return reply.code(204).send();
  });
}
