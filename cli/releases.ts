// cli/releases.ts — config, releases, rollback and builds commands.
import { appForActor, configRefusal } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { parseConfigKey } from '../core/names.ts';
import { buildLines, findBuild, listBuilds, pushOutcome } from '../services/builds.ts';
import { listReleases, rollback, setConfig, unsetConfig, waitForRelease, type ReleaseRow } from '../services/releases.ts';
import { need, table, type Command, type CommandContext } from './types.ts';
import { ago } from '../services/time-ago.ts';

/** Waits for a new release's deploy and reports it the way Heroku does ("done, v4"); a failure is an error. */
export async function reportRelease(ctx: CommandContext, intro: string, release: ReleaseRow | undefined): Promise<void> {
  if (!release) { ctx.out(`${intro}... done (the app has no release yet: it applies on the first git push)`); return; }
  const final = await waitForRelease(ctx.db, release.id);
  if (final.status === 'failed') throw new PaasError('E_RELEASE_BOOT_FAILED', `Release v${final.version} failed: ${final.error ?? 'unknown error'}; the previous release keeps serving`);
  if (final.status !== 'succeeded') { ctx.out(`${intro}... v${final.version} is still deploying; see: releases APP`); return; }
  ctx.out(`${intro}... done, v${final.version}`);
}

/** What --no-restart says: the change is stored, and what deploys it. */
const notRestarted = 'not restarted: the next push, ps:restart or config:set deploys it';

export const releaseCommands: Command[] = [
  {
    name: 'config', args: 'APP', summary: "Show an app's config vars",
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'config APP'), 'deploy', configRefusal(args.positional[0]!));
      const entries = Object.entries(app.config).sort(([a], [b]) => a.localeCompare(b));
      ctx.out(`=== ${app.name} Config Vars`);
      if (!entries.length) ctx.out(`No config vars. Set one: config:set ${app.name} KEY=value`);
      table(entries.map(([k, v]) => [`${k}:`, v])).forEach(ctx.out);
    },
  },
  {
    name: 'config:get', args: 'APP KEY', summary: 'Print one config var',
    async run(ctx, args) {
      const usage = 'config:get APP KEY';
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', usage), 'deploy', configRefusal(args.positional[0]!));
      const key = parseConfigKey(need(args, 1, 'KEY', usage));
      if (!(key in app.config)) throw new PaasError('E_CONFIG_KEY_NOT_FOUND', `${key} is not set on ${app.name}`);
      ctx.out(app.config[key]!);
    },
  },
  {
    name: 'config:set', args: 'APP KEY=VALUE… [--encoded] [--no-restart]',
    summary: 'Set config vars and deploy them in a new release; --encoded: each VALUE is base64 (multi-line values over SSH); --no-restart: store only',
    flags: { encoded: { type: 'boolean' }, 'no-restart': { type: 'boolean' } },
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'config:set APP KEY=VALUE…');
      const pairs = args.positional.slice(1);
      const restart = !args.flags.has('no-restart');
      const release = await setConfig(ctx.db, ctx.actor, name, pairs, { encoded: args.flags.has('encoded'), restart });
      const keys = pairs.map((p) => p.slice(0, p.indexOf('=')));
      if (!restart) { ctx.out(`Setting ${keys.join(', ')} on ${name}... done (${notRestarted})`); return; }
      await reportRelease(ctx, `Setting ${keys.join(', ')} and restarting ${name}`, release);
    },
  },
  {
    name: 'config:unset', args: 'APP KEY… [--no-restart]', summary: 'Unset config vars and deploy that in a new release; --no-restart: store only',
    flags: { 'no-restart': { type: 'boolean' } },
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'config:unset APP KEY…');
      const keys = args.positional.slice(1);
      const restart = !args.flags.has('no-restart');
      const release = await unsetConfig(ctx.db, ctx.actor, name, keys, { restart });
      if (!restart) { ctx.out(`Unsetting ${keys.join(', ')} on ${name}... done (${notRestarted})`); return; }
      await reportRelease(ctx, `Unsetting ${keys.join(', ')} and restarting ${name}`, release);
    },
  },
  {
    name: 'releases', args: 'APP', summary: 'List releases, newest first',
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'releases APP'), 'read');
      const rows = await listReleases(ctx.db, app);
      ctx.out(`=== ${app.name} Releases`);
      if (!rows.length) { ctx.out('No releases yet: git push to deploy'); return; }
      table(rows.map((r) => [`v${r.version}${r.id === app.current_release_id ? '*' : ''}`, r.description, r.status, r.email ?? '-', ago(r.created_at)])).forEach(ctx.out);
    },
  },
  {
    name: 'rollback', args: 'APP [vN]', summary: "New release from an earlier one's build and config",
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'rollback APP [vN]');
      const release = await rollback(ctx.db, ctx.actor, name, args.positional[1]);
      await reportRelease(ctx, `Rolling back ${name} (${release.description})`, release);
    },
  },
  {
    name: 'builds', args: 'APP', summary: 'List builds, newest first',
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'builds APP'), 'read');
      const rows = await listBuilds(ctx.db, app);
      ctx.out(`=== ${app.name} Builds`);
      if (!rows.length) { ctx.out('No builds yet: git push to build'); return; }
      table(rows.map((b) => [String(b.number), b.status, b.stack ?? '-', `${b.ref.replace('refs/heads/', '')}@${b.rev.slice(0, 7)}`, b.email ?? '-', ago(b.created_at)])).forEach(ctx.out);
    },
  },
  {
    name: 'builds:output', args: 'APP [BUILD]', summary: "Print a build's log (the latest by default); follows a running build",
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'builds:output APP [BUILD]'), 'read');
      const build = await findBuild(ctx.db, app, args.positional[1]);
      let seq = 0;
      for (;;) {
        // The outcome first, then the lines: a push's last lines are stored before its outcome, so none is missed.
        const running = await pushOutcome(ctx.db, build.id) === 'running';
        for (const l of await buildLines(ctx.db, build.id, seq)) { ctx.out(l.line); seq = l.seq; }
        if (!running || ctx.signal.aborted) break;
        await new Promise((r) => setTimeout(r, 300));
      }
    },
  },
];
