// cli/apps.ts — apps, collaborators and domains commands.
import { appForActor } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { getUserByEmail, type User } from '../core/accounts/users.ts';
import {
  addCollaborator, addDomain, createApp, destroyApp, listApps, listCollaborators, listDomains, removeCollaborator, removeDomain,
} from '../services/apps.ts';
import { hasWebUrl } from '../services/formation.ts';
import { appUrl } from '../services/release-spec.ts';
import { currentRelease } from '../services/releases.ts';
import { flag, need, table, type Command, type CommandContext } from './types.ts';

/** The owner of a new app: yourself over SSH; locally --owner EMAIL, or the first admin. */
export async function ownerFor(ctx: CommandContext, email: string | undefined): Promise<User> {
  if (ctx.actor.kind === 'user') return ctx.actor.user;
  if (email) return getUserByEmail(ctx.db, email);
  const admin = await ctx.db('users').where({ is_admin: true }).orderBy('id').first();
  if (!admin) throw new PaasError('E_USER_NOT_FOUND', 'Create a user first: users:create you@example.com');
  return getUserByEmail(ctx.db, admin.email);
}

function remotes(ctx: CommandContext, app: string): string[] {
  const host = ctx.config.baseDomain === 'localhost' ? 'localhost' : ctx.config.baseDomain;
  return [
    `ssh://git@${host}:${ctx.config.endpoints.sshPort}/${app}.git`,
    `http://${host}:${ctx.config.endpoints.httpPort}/${app}.git`,
  ];
}

export const appCommands: Command[] = [
  {
    name: 'apps', args: '', summary: 'List your apps',
    async run(ctx) {
      const apps = await listApps(ctx.db, ctx.actor);
      if (!apps.length) { ctx.out('You have no apps. Create one: apps:create APP'); return; }
      // A review app (docs/user/review-apps.md) is marked with its parent.
      const names = new Map(apps.map((a) => [a.id, a.name]));
      const parentOf = (a: object): string => {
        const parent = (a as { parent_app_id?: number | null }).parent_app_id;
        return parent ? ` (review app of ${names.get(parent) ?? 'another app'})` : '';
      };
      table(apps.map((a) => [a.name + parentOf(a), a.owner_email, appUrl(ctx.config, a.name)])).forEach(ctx.out);
    },
  },
  {
    name: 'apps:create', args: 'APP [--owner EMAIL]', summary: 'Create an app and its git repository',
    flags: { owner: { type: 'string' } },
    async run(ctx, args) {
      const owner = await ownerFor(ctx, flag(args, 'owner'));
      const app = await createApp(ctx.db, owner, need(args, 0, 'APP', 'apps:create APP'), ctx.config.isolation);
      const [ssh, http] = remotes(ctx, app.name);
      ctx.out(`Creating ${app.name}... done`);
      ctx.out(`${appUrl(ctx.config, app.name)} | ${ssh}`);
      ctx.out(`Add the remote and push:  git remote add paas ${ssh} && git push paas main`);
      ctx.out(`Over HTTP (an API token as password): ${http}`);
    },
  },
  {
    name: 'apps:destroy', args: 'APP --confirm APP', summary: 'Destroy an app, its releases and its repository',
    flags: { confirm: { type: 'string', bareIsEmpty: true } }, // a bare --confirm gets destroyApp's how-to-confirm refusal
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'apps:destroy APP --confirm APP');
      await destroyApp(ctx.db, ctx.actor, name, flag(args, 'confirm'));
      ctx.out(`Destroying ${name} (including its git repository)... done`);
    },
  },
  {
    name: 'apps:info', args: 'APP', summary: 'Show an app: URL, release, remotes, collaborators',
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'apps:info APP'), 'read');
      const release = await currentRelease(ctx.db, app);
      const owner = await ctx.db('users').where({ id: app.owner_id }).first();
      ctx.out(`=== ${app.name}`);
      table([
        ['Owner:', owner?.email ?? '-'],
        ['Project:', app.project_id == null ? '-' : (await ctx.db('projects').where({ id: app.project_id }).first('name'))?.name ?? '-'],
        ['Web URL:', (await hasWebUrl(ctx.db, app)) ? appUrl(ctx.config, app.name) : 'none (no web process runs)'],
        ['Release:', release ? `v${release.version}` : 'none yet (git push to deploy)'],
        ['Git (SSH):', remotes(ctx, app.name)[0]!],
        ['Git (HTTP):', remotes(ctx, app.name)[1]!],
        ['Domains:', (await listDomains(ctx.db, app.id)).join(', ') || '-'],
        ['Collaborators:', (await listCollaborators(ctx.db, app)).join(', ') || '-'],
      ]).forEach(ctx.out);
    },
  },
  {
    name: 'collaborators', args: 'APP', summary: "List an app's collaborators",
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'collaborators APP'), 'read');
      const list = await listCollaborators(ctx.db, app);
      if (!list.length) ctx.out(`${app.name} has no collaborators. Add one: collaborators:add ${app.name} EMAIL`);
      list.forEach(ctx.out);
    },
  },
  {
    name: 'collaborators:add', args: 'APP EMAIL', summary: 'Give a user access to an app (owner only)',
    async run(ctx, args) {
      const usage = 'collaborators:add APP EMAIL';
      const user = await addCollaborator(ctx.db, ctx.actor, need(args, 0, 'APP', usage), need(args, 1, 'EMAIL', usage));
      ctx.out(`Added ${user.email} to ${args.positional[0]}`);
    },
  },
  {
    name: 'collaborators:remove', args: 'APP EMAIL', summary: "Remove a user's access (owner only)",
    async run(ctx, args) {
      const usage = 'collaborators:remove APP EMAIL';
      await removeCollaborator(ctx.db, ctx.actor, need(args, 0, 'APP', usage), need(args, 1, 'EMAIL', usage));
      ctx.out(`Removed ${args.positional[1]} from ${args.positional[0]}`);
    },
  },
  {
    name: 'domains', args: 'APP', summary: "List an app's custom domains",
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'domains APP'), 'read');
      ctx.out(`=== ${app.name} domains`);
      ctx.out(`${app.name}.${ctx.config.baseDomain} (default)`);
      (await listDomains(ctx.db, app.id)).forEach(ctx.out);
    },
  },
  {
    name: 'domains:add', args: 'APP HOST', summary: 'Route a hostname to the app',
    async run(ctx, args) {
      const usage = 'domains:add APP HOST';
      const host = await addDomain(ctx.db, ctx.actor, need(args, 0, 'APP', usage), need(args, 1, 'HOST', usage), ctx.config);
      ctx.out(`Added ${host} to ${args.positional[0]}`);
    },
  },
  {
    name: 'domains:remove', args: 'APP HOST', summary: 'Stop routing a hostname to the app',
    async run(ctx, args) {
      const usage = 'domains:remove APP HOST';
      await removeDomain(ctx.db, ctx.actor, need(args, 0, 'APP', usage), need(args, 1, 'HOST', usage));
      ctx.out(`Removed ${args.positional[1]} from ${args.positional[0]}`);
    },
  },
];
