// cli/webhooks.ts — an app's outgoing webhooks: `webhooks` (list), `webhooks:add` (prints the signing secret once),
// `webhooks:remove`, `webhooks:deliveries` (the delivery log) and `webhooks:redeliver`. services/webhooks.ts checks access.
import { PaasError } from '../core/errors.ts';
import { addWebhook, listDeliveries, listWebhooks, redeliver, removeWebhook, WEBHOOK_EVENTS } from '../services/webhooks.ts';
import { flag, need, table, type Args, type Command } from './types.ts';

function noMore(args: Args, count: number, usage: string): void {
  if (args.positional.length > count) throw new PaasError('E_USAGE', `Too many arguments. Usage: ${usage}`);
}

const when = (d: Date | null) => (d ? new Date(d).toISOString().replace('T', ' ').slice(0, 19) : '');

export const webhookCommands: Command[] = [
  {
    name: 'webhooks', args: 'APP', summary: "List the app's outgoing webhooks (the URLs its deploy events are sent to)",
    async run(ctx, args) {
      const app = need(args, 0, 'APP', 'webhooks APP');
      noMore(args, 1, 'webhooks APP');
      const { hooks } = await listWebhooks(ctx.db, ctx.actor, app);
      ctx.out(`=== ${app} webhooks`);
      if (!hooks.length) { ctx.out('No webhooks. Add one with webhooks:add APP URL'); return; }
      table([['Id', 'Events', 'URL'], ...hooks.map((h) => [String(h.id), h.events.join(','), h.url])]).forEach(ctx.out);
    },
  },
  {
    name: 'webhooks:add', args: 'APP URL', summary: `Send the app's events (${WEBHOOK_EVENTS.join(', ')}; --events picks some) to URL, signed`,
    flags: { events: { type: 'string' } },
    async run(ctx, args) {
      const usage = 'webhooks:add APP URL [--events push,release.created,deploy.succeeded,deploy.failed]';
      const app = need(args, 0, 'APP', usage);
      const url = need(args, 1, 'URL', usage);
      noMore(args, 2, usage);
      const hook = await addWebhook(ctx.db, ctx.actor, app, url, flag(args, 'events'), ctx.config.webhooks.allowPrivate);
      ctx.out(`Added webhook ${hook.id} for ${app}: ${hook.url}`);
      ctx.out(`Events: ${hook.events.join(', ')}`);
      ctx.out(`Secret: ${hook.secret}`);
      ctx.out('Keep the secret: it is shown only now. Check each delivery\'s X-Paas-Signature-256 with it (see /docs/webhooks).');
    },
  },
  {
    name: 'webhooks:remove', args: 'APP ID', summary: 'Remove a webhook and its delivery log',
    async run(ctx, args) {
      const usage = 'webhooks:remove APP ID';
      const app = need(args, 0, 'APP', usage);
      const id = need(args, 1, 'ID', usage);
      noMore(args, 2, usage);
      await removeWebhook(ctx.db, ctx.actor, app, id);
      ctx.out(`Removed webhook ${id} from ${app}`);
    },
  },
  {
    name: 'webhooks:deliveries', args: 'APP [ID]', summary: "Show the latest deliveries of the app's webhooks (of webhook ID only, when given)",
    async run(ctx, args) {
      const usage = 'webhooks:deliveries APP [ID]';
      const app = need(args, 0, 'APP', usage);
      noMore(args, 2, usage);
      const { deliveries } = await listDeliveries(ctx.db, ctx.actor, app, args.positional[1]);
      ctx.out(`=== ${app} webhook deliveries`);
      if (!deliveries.length) { ctx.out('No deliveries yet.'); return; }
      table([['Created', 'Hook', 'Event', 'Status', 'Tries', 'Code', 'Delivery', 'Error'], ...deliveries.map((d) => [
        when(d.createdAt), String(d.webhookId), d.event, d.status, String(d.attempts), d.responseCode === null ? '' : String(d.responseCode), d.id, (d.error ?? '').slice(0, 80),
      ])]).forEach(ctx.out);
    },
  },
  {
    name: 'webhooks:redeliver', args: 'APP DELIVERY', summary: 'Send a delivery again (as a new delivery with the same event and data)',
    async run(ctx, args) {
      const usage = 'webhooks:redeliver APP DELIVERY';
      const app = need(args, 0, 'APP', usage);
      const id = need(args, 1, 'DELIVERY', usage);
      noMore(args, 2, usage);
      ctx.out(`Queued delivery ${await redeliver(ctx.db, ctx.actor, app, id)} for ${app}`);
    },
  },
];
