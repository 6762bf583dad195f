// cli/projects.ts — projects commands: list and create projects, put apps in them, and manage members with roles.
import {
  addAppToProject, createProject, listProjects, projectDetail, removeAppFromProject, removeProjectMember, setProjectMember,
} from '../services/projects.ts';
import { ownerFor } from './apps.ts';
import { flag, need, table, type Command } from './types.ts';

export const projectCommands: Command[] = [
  {
    name: 'projects', args: '', summary: 'List your projects and your role in each',
    async run(ctx) {
      const list = await listProjects(ctx.db, ctx.actor);
      if (!list.length) { ctx.out('You are in no project. Create one: projects:create PROJECT'); return; }
      table(list.map((p) => [p.name, p.role, `${p.apps} app${p.apps === 1 ? '' : 's'}`, `${p.members} member${p.members === 1 ? '' : 's'}`])).forEach(ctx.out);
    },
  },
  {
    name: 'projects:create', args: 'PROJECT [--owner EMAIL]', summary: 'Create a project; you are its owner',
    flags: { owner: { type: 'string' } },
    async run(ctx, args) {
      const owner = await ownerFor(ctx, flag(args, 'owner'));
      const p = await createProject(ctx.db, owner, need(args, 0, 'PROJECT', 'projects:create PROJECT'));
      ctx.out(`Created project ${p.name}, owned by ${owner.email}. Add an app: projects:add ${p.name} APP`);
    },
  },
  {
    name: 'projects:info', args: 'PROJECT', summary: "Show a project's apps and members",
    async run(ctx, args) {
      const p = await projectDetail(ctx.db, ctx.actor, need(args, 0, 'PROJECT', 'projects:info PROJECT'));
      ctx.out(`=== ${p.name} (you: ${p.role})`);
      ctx.out('Apps:');
      if (!p.apps.length) ctx.out(`  none yet; add one: projects:add ${p.name} APP`);
      table(p.apps.map((a) => [`  ${a.name}`, a.owner])).forEach(ctx.out);
      ctx.out('Members:');
      table(p.members.map((m) => [`  ${m.email}`, m.role])).forEach(ctx.out);
    },
  },
  {
    name: 'projects:add', args: 'PROJECT APP', summary: 'Put an app you own into a project you own (moves it out of any other)',
    async run(ctx, args) {
      const usage = 'projects:add PROJECT APP';
      const project = need(args, 0, 'PROJECT', usage);
      const app = need(args, 1, 'APP', usage);
      const from = await addAppToProject(ctx.db, ctx.actor, project, app);
      ctx.out(`Added ${app} to project ${project}${from ? ` (moved from ${from})` : ''}`);
    },
  },
  {
    name: 'projects:remove', args: 'PROJECT APP', summary: 'Take an app out of a project',
    async run(ctx, args) {
      const usage = 'projects:remove PROJECT APP';
      const project = need(args, 0, 'PROJECT', usage);
      const app = need(args, 1, 'APP', usage);
      await removeAppFromProject(ctx.db, ctx.actor, project, app);
      ctx.out(`Removed ${app} from project ${project}`);
    },
  },
  {
    name: 'projects:members', args: 'PROJECT', summary: "List a project's members and their roles",
    async run(ctx, args) {
      const p = await projectDetail(ctx.db, ctx.actor, need(args, 0, 'PROJECT', 'projects:members PROJECT'));
      table(p.members.map((m) => [m.email, m.role])).forEach(ctx.out);
    },
  },
  {
    name: 'projects:members:add', args: 'PROJECT EMAIL [--role member|viewer|owner]',
    summary: "Add a member (default role: member), or change a member's role (project owners)",
    flags: { role: { type: 'string' } },
    async run(ctx, args) {
      const usage = 'projects:members:add PROJECT EMAIL [--role member|viewer|owner]';
      const project = need(args, 0, 'PROJECT', usage);
      const role = flag(args, 'role') ?? 'member';
      const { user, added } = await setProjectMember(ctx.db, ctx.actor, project, need(args, 1, 'EMAIL', usage), role);
      ctx.out(added ? `Added ${user.email} to project ${project} as ${role}` : `${user.email} is now ${role} in project ${project}`);
    },
  },
  {
    name: 'projects:members:remove', args: 'PROJECT EMAIL', summary: 'Remove a member from a project (project owners)',
    async run(ctx, args) {
      const usage = 'projects:members:remove PROJECT EMAIL';
      const project = need(args, 0, 'PROJECT', usage);
      const user = await removeProjectMember(ctx.db, ctx.actor, project, need(args, 1, 'EMAIL', usage));
      ctx.out(`Removed ${user.email} from project ${project}`);
    },
  },
];
