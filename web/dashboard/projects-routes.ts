// web/dashboard/projects-routes.ts — the Projects section: the list with the create form, and a project's page (its
// apps with the add-app form, its members with roles). Every change goes through services/projects.ts, which checks
// membership and roles; a project the user is not in is a 404 like a missing one. Forms carry the CSRF token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isOwner } from '../../core/access.ts';
import { createApp, listApps } from '../../services/apps.ts';
import {
  addAppToProject, createProject, listProjects, projectDetail, projectForActor, PROJECT_ROLES, removeAppFromProject, removeProjectMember, setProjectMember,
} from '../../services/projects.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';
import { actorOf } from './sessions.ts';

type P = { Params: { project: string } };

async function listPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
  const projects = await listProjects(d.db, actorOf(req));
  return sendPage(d, req, reply, 'projects', { title: 'Projects', nav: 'projects', projects, ...extra }, status);
}

/** The project page; the add-app choices are the user's own apps not already in this project. */
async function projectPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, name: string, extra: Record<string, unknown> = {}, status = 200) {
  const actor = actorOf(req);
  const project = await projectDetail(d.db, actor, name);
  const inProject = new Set(project.apps.map((a) => a.name));
  const movable = (await listApps(d.db, actor)).filter((a) => isOwner(actor, a) && a.parent_app_id == null && !inProject.has(a.name)).map((a) => a.name);
  const manage = project.role === 'owner';
  const roles = PROJECT_ROLES.map((r) => ({ value: r, selected: r === (extra.role ?? 'member') }));
  return sendPage(d, req, reply, 'project', { title: `Project ${project.name}`, nav: 'projects', project, manage, movable, roles, ...extra }, status);
}

/** A POST's outcome: back to the project page with a note, or the page again with the error partial and its status. */
async function outcome(d: DashDeps, req: FastifyRequest<P>, reply: FastifyReply, r: Awaited<ReturnType<typeof attempt>>, note: string, extra: Record<string, unknown> = {}) {
  if (!r.ok) return projectPage(d, req, reply, req.params.project, { error: errorView(r.error), ...extra }, r.error.status);
  return redirect(req, reply, `/projects/${req.params.project}`, note);
}

/** Registers /projects and /projects/:project. */
export function registerProjectsRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get('/projects', async (req, reply) => listPage(d, req, reply));

  app.post('/projects', async (req, reply) => {
    const name = field(req, 'name').trim();
    const r = await attempt(() => createProject(d.db, actorOf(req).user, name));
    if (!r.ok) return listPage(d, req, reply, { error: errorView(r.error), name: name.slice(0, 100) }, r.error.status);
    return redirect(req, reply, `/projects/${r.value.name}`, `Created project ${r.value.name}. Add an app to it below.`);
  });

  app.get<P>('/projects/:project', async (req, reply) => projectPage(d, req, reply, req.params.project));

  app.post<P>('/projects/:project/apps', async (req, reply) => {
    const appName = field(req, 'app').trim();
    const r = await attempt(() => addAppToProject(d.db, actorOf(req), req.params.project, appName));
    return outcome(d, req, reply, r, `Added ${appName} to ${req.params.project}.`);
  });

  // A new app made straight in the project, as its owners expect, rather than made on Apps and then moved here.
  app.post<P>('/projects/:project/apps/new', async (req, reply) => {
    const actor = actorOf(req);
    const name = field(req, 'name').trim();
    const r = await attempt(async () => {
      await projectForActor(d.db, actor, req.params.project, 'manage'); // before the app exists: no stray app on refusal
      const created = await createApp(d.db, actor.user, name, d.config.isolation);
      await addAppToProject(d.db, actor, req.params.project, created.name);
      return created;
    });
    if (!r.ok) return projectPage(d, req, reply, req.params.project, { error: errorView(r.error), newApp: name.slice(0, 100) }, r.error.status);
    return redirect(req, reply, `/apps/${r.value.name}`, `Created ${r.value.name} in project ${req.params.project}. Push to it with git, or connect a repository on the Git host tab.`);
  });

  app.post<P>('/projects/:project/apps/remove', async (req, reply) => {
    const appName = field(req, 'app').trim();
    const r = await attempt(() => removeAppFromProject(d.db, actorOf(req), req.params.project, appName));
    return outcome(d, req, reply, r, `Took ${appName} out of ${req.params.project}.`);
  });

  app.post<P>('/projects/:project/members', async (req, reply) => {
    const email = field(req, 'email');
    const role = field(req, 'role') || 'member';
    const r = await attempt(() => setProjectMember(d.db, actorOf(req), req.params.project, email, role));
    return outcome(d, req, reply, r, `${email.trim().toLowerCase()} is ${role} of ${req.params.project} now.`, { email: email.slice(0, 254), role: role.slice(0, 20) });
  });

  app.get<P & { Querystring: { email?: string } }>('/projects/:project/members/remove', async (req, reply) => {
    const project = await projectDetail(d.db, actorOf(req), req.params.project);
    const email = String(req.query.email ?? '').slice(0, 254);
    return sendPage(d, req, reply, 'confirm', {
      title: 'Remove member', nav: 'projects', action: `/projects/${project.name}/members/remove`, fields: [{ name: 'email', value: email }],
      button: 'Remove member', cancel: `/projects/${project.name}`, message: `Remove ${email} from project ${project.name}?`,
    });
  });

  app.post<P>('/projects/:project/members/remove', async (req, reply) => {
    const email = field(req, 'email');
    const r = await attempt(() => removeProjectMember(d.db, actorOf(req), req.params.project, email));
    return outcome(d, req, reply, r, `Removed ${email.trim().toLowerCase()} from ${req.params.project}.`);
  });
}
