// cli/invites.ts — invite links for new users (admins over SSH, and the local operator): create, list, revoke.
import { createInvite, dashboardUrl, INVITE_TTL, listOpenInvites, revokeInvite } from '../core/accounts/invites.ts';
import { PaasError } from '../core/errors.ts';
import { ago } from '../services/time-ago.ts';
import { flag, need, table, type Command } from './types.ts';

export const inviteCommands: Command[] = [
  {
    name: 'invites:create', args: '[--hours N]', summary: `Create a single-use invite link (admins; valid ${INVITE_TTL.defaultHours} hours unless --hours)`,
    flags: { hours: { type: 'string' } },
    async run(ctx, args) {
      const raw = flag(args, 'hours') ?? String(INVITE_TTL.defaultHours);
      if (!/^\d{1,4}$/.test(raw)) throw new PaasError('E_USAGE', `--hours takes a whole number of hours (1 to ${INVITE_TTL.maxHours})`);
      const invite = await createInvite(ctx.db, ctx.actor, Number(raw));
      ctx.out(`Created an invite, valid once until ${invite.expiresAt.toISOString()}. Send this link; it is shown only now:`);
      ctx.out(`${dashboardUrl(ctx.config)}/signup?invite=${invite.token}`);
    },
  },
  {
    name: 'invites', args: '', summary: 'List open invites (admins)',
    async run(ctx) {
      const invites = await listOpenInvites(ctx.db, ctx.actor);
      if (!invites.length) { ctx.out('No open invites. Create one: invites:create'); return; }
      table(invites.map((i) => [String(i.id), i.createdBy ?? 'operator', `created ${ago(i.createdAt)}`, `expires ${i.expiresAt.toISOString()}`])).forEach(ctx.out);
    },
  },
  {
    name: 'invites:revoke', args: 'ID', summary: 'Revoke an open invite; its link stops working (admins)',
    async run(ctx, args) {
      const id = need(args, 0, 'ID', 'invites:revoke ID');
      if (!/^\d{1,9}$/.test(id)) throw new PaasError('E_USAGE', 'Give the invite id shown by: invites');
      await revokeInvite(ctx.db, ctx.actor, Number(id));
      ctx.out(`Revoked invite ${id}`);
    },
  },
];
