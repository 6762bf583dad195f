// cli/git-sources.ts — deploys from a Git host (issue 13 §5): `git:connect APP URL [--branch B]` connects an app to a
// repository, `git:source APP` shows the webhook URL, secret, deploy key and recent deliveries, `git:disconnect APP`.
import { PaasError } from '../core/errors.ts';
import { connectSource, disconnectSource, getSource, listDeliveries, type SourceView } from '../services/git-sources.ts';
import { need, table, type Args, type Command, type CommandContext } from './types.ts';

function noMore(args: Args, count: number, usage: string): void {
  if (args.positional.length > count) throw new PaasError('E_USAGE', `Too many arguments. Usage: ${usage}`);
}

/** The web port's URL as users reach it (the dashboard's host), for the webhook URL. */
function webBase(ctx: CommandContext): string {
  const host = ctx.config.dashboardHosts[0] ?? ctx.config.baseDomain;
  return `http://${host}:${ctx.config.endpoints.httpPort}`;
}

function showSource(ctx: CommandContext, s: SourceView): void {
  ctx.out(`=== ${s.app} deploys from a Git host`);
  table([
    ['Repository:', s.repoUrl],
    ['Branch:', s.branch],
    ['Webhook URL:', webBase(ctx) + s.webhookPath],
    ['Webhook secret:', s.webhookSecret],
    ['Content type:', 'application/json (events: push)'],
  ]).forEach(ctx.out);
  ctx.out('Deploy key (add it at the Git host as a read-only deploy key, for ssh:// and git@ URLs):');
  ctx.out(s.deployKey);
}

export const gitSourceCommands: Command[] = [
  {
    name: 'git:connect', args: 'APP URL', summary: 'Connect the app to a Git host repository: its pushes to --branch (default main) deploy by webhook',
    flags: { branch: { type: 'string' }, rotate: { type: 'boolean' } },
    async run(ctx, args) {
      const usage = 'git:connect APP URL [--branch main] [--rotate]';
      const app = need(args, 0, 'APP', usage);
      const url = need(args, 1, 'URL', usage);
      noMore(args, 2, usage);
      const branch = args.flags.get('branch');
      const request = { repoUrl: url, branch: typeof branch === 'string' ? branch : 'main', rotate: args.flags.has('rotate') };
      const source = await connectSource(ctx.db, ctx.actor, app, request, ctx.config.gitSources.allowPrivate);
      showSource(ctx, source);
      ctx.out(`-----> Add the webhook at the Git host; a push to ${source.branch} then deploys ${source.app}`);
    },
  },
  {
    name: 'git:source', args: 'APP', summary: "Show the app's connected repository, webhook URL and secret, deploy key and recent deliveries",
    async run(ctx, args) {
      const app = need(args, 0, 'APP', 'git:source APP');
      noMore(args, 1, 'git:source APP');
      showSource(ctx, await getSource(ctx.db, ctx.actor, app));
      const deliveries = await listDeliveries(ctx.db, ctx.actor, app, 10);
      ctx.out('');
      if (deliveries.length === 0) { ctx.out('No deliveries yet'); return; }
      ctx.out('Recent deliveries:');
      table([['Received', 'Delivery', 'Event', 'Outcome', 'Detail'], ...deliveries.map((d) => [
        d.received_at.toISOString().replace('T', ' ').slice(0, 19), d.delivery_id.slice(0, 40), `${d.format}:${d.event}`, d.outcome, d.detail ?? '',
      ])]).forEach(ctx.out);
    },
  },
  {
    name: 'git:disconnect', args: 'APP', summary: 'Disconnect the app from its repository (webhooks are refused from then on)',
    async run(ctx, args) {
      const app = need(args, 0, 'APP', 'git:disconnect APP');
      noMore(args, 1, 'git:disconnect APP');
      await disconnectSource(ctx.db, ctx.actor, app);
      ctx.out(`-----> ${app} is no longer connected to a repository; remove the webhook at the Git host too`);
    },
  },
];
