// cli/processes.ts — ps, ps:scale, ps:autoscale[:off], ps:restart and logs commands. ps and logs read the runtime through its read port
// (ctx.reader): the cluster's pods and their logs in Kubernetes mode; the process snapshot and the log file otherwise.
import { appForActor } from '../core/access.ts';
import { isPaasError, PaasError } from '../core/errors.ts';
import { autoscalingOf, describeAutoscale, removeAutoscale, setAutoscale } from '../services/autoscaling.ts';
import { parseScale, scaleApp } from '../services/formation.ts';
import { currentRelease } from '../services/releases.ts';
import { restartApp } from '../services/restart.ts';
import { reportRelease } from './releases.ts';
import type { ProcessStatus } from '../runtime/types.ts';
import { flag, need, table, type Command } from './types.ts';
import { ago } from '../services/time-ago.ts';

/** One `ps` row: `web.1  up  v3  port 40909  restarts 0  since 3m ago`, with the pod and Kubernetes' reason in that mode. */
function psRow(p: Pick<ProcessStatus, 'type' | 'index' | 'state' | 'version' | 'port' | 'restarts' | 'since' | 'name' | 'reason'>): string[] {
  const state = p.reason ? `${p.state} (${p.reason})` : p.state;
  const where = p.name ? `pod ${p.name}` : p.port ? `port ${p.port}` : '-';
  return [`${p.type}.${p.index}`, state, `v${p.version}`, where, `restarts ${p.restarts}`, `since ${ago(p.since)}`];
}

export const processCommands: Command[] = [
  {
    name: 'ps', args: 'APP', summary: "Show an app's processes",
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'ps APP'), 'read');
      const rows = await ctx.reader.status(app.name);
      const release = await currentRelease(ctx.db, app);
      ctx.out(`=== ${app.name} processes (${release ? `v${release.version}` : 'no release'})`);
      if (!rows.length) ctx.out(release ? 'No processes running' : 'No release yet: git push to deploy');
      else table(rows.map(psRow)).forEach(ctx.out);
      const autoscaled = autoscalingOf(app);
      if (!autoscaled.length) return;
      ctx.out('=== Autoscaling');
      for (const a of autoscaled) ctx.out(`${a.type}: ${describeAutoscale(a)}`);
    },
  },
  {
    name: 'ps:scale', args: 'APP TYPE=N…', summary: 'Scale process types, e.g. web=2 worker=1',
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'ps:scale APP TYPE=N…');
      const quantities = parseScale(args.positional.slice(1));
      await scaleApp(ctx.db, ctx.actor, name, quantities);
      ctx.out(`Scaling ${name}: ${Object.entries(quantities).map(([t, n]) => `${t}=${n}`).join(' ')}... done`);
    },
  },
  {
    name: 'ps:autoscale', args: 'APP TYPE --min N --max M --cpu P', summary: 'Autoscale a process type between N and M instances at P% CPU (Kubernetes mode)',
    flags: { min: { type: 'string' }, max: { type: 'string' }, cpu: { type: 'string' } },
    async run(ctx, args) {
      const usage = 'ps:autoscale APP TYPE --min N --max M --cpu P';
      const name = need(args, 0, 'APP', usage);
      const type = need(args, 1, 'TYPE', usage);
      if (args.positional.length > 2) throw new PaasError('E_USAGE', `Give one process type. Usage: ${usage}`);
      const s = await setAutoscale(ctx.db, ctx.config.mode, ctx.actor, name, type, { min: flag(args, 'min'), max: flag(args, 'max'), cpu: flag(args, 'cpu') });
      ctx.out(`Autoscaling ${type} of ${name}: ${describeAutoscale(s)}... done`);
    },
  },
  {
    name: 'ps:autoscale:off', args: 'APP TYPE', summary: "Stop autoscaling a process type (its ps:scale count applies again)",
    async run(ctx, args) {
      const usage = 'ps:autoscale:off APP TYPE';
      const name = need(args, 0, 'APP', usage);
      const type = need(args, 1, 'TYPE', usage);
      if (args.positional.length > 2) throw new PaasError('E_USAGE', `Give one process type. Usage: ${usage}`);
      const removed = await removeAutoscale(ctx.db, ctx.config.mode, ctx.actor, name, type);
      ctx.out(removed ? `Autoscaling of ${type} of ${name} is off... done` : `${type} of ${name} was not autoscaled`);
    },
  },
  {
    name: 'ps:restart', args: 'APP [TYPE]', summary: "Restart an app's processes (or one type's); web without downtime",
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'ps:restart APP [TYPE]');
      if (args.positional.length > 2) throw new PaasError('E_USAGE', 'Give at most one process type. Usage: ps:restart APP [TYPE]');
      const outcome = await restartApp(ctx.db, ctx.actor, name, args.positional[1]);
      if (outcome.kind === 'release') {
        // Config stored with --no-restart (or a config change whose release failed) since the live release: it is
        // deployed now, every type with it. Said up front, as a release that fails leaves it so for the next restart too.
        const keys = outcome.changed.join(', ');
        if (outcome.type) ctx.out(`The config differs from the live release's (${keys}): a new release restarts every process type, not only ${outcome.type}`);
        await reportRelease(ctx, `Restarting ${outcome.app} with config changes not yet deployed: ${keys}`, outcome.release).catch((err: unknown) => {
          if (!isPaasError(err, 'E_RELEASE_BOOT_FAILED')) throw err;
          throw new PaasError('E_RELEASE_BOOT_FAILED', `${err.message}. Every ps:restart deploys these config changes (${keys}) until config:set or config:unset makes them work`);
        });
        return;
      }
      ctx.out(`Restarting ${outcome.type ? `${outcome.type} processes of ` : ''}${outcome.app}... done`);
    },
  },
  {
    name: 'logs', args: 'APP [-t] [-n N]', summary: "Show an app's output; -t keeps following it",
    flags: { num: { type: 'string', short: 'n' }, tail: { type: 'boolean', short: 't' } },
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'logs APP [-t]'), 'read');
      const n = Number(flag(args, 'n') ?? flag(args, 'num') ?? 100);
      if (!Number.isInteger(n) || n < 1 || n > 10000) throw new PaasError('E_USAGE', '-n takes a number of lines from 1 to 10000');
      const opts = { lines: n, follow: args.flags.has('t') || args.flags.has('tail'), signal: ctx.signal };
      await ctx.reader.logs(app.name, opts, ctx.out);
    },
  },
];
