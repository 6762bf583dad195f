// controller/cli/processes.ts — ps, ps:scale and logs commands.
import fs from 'node:fs';
import path from 'node:path';
import { appForActor } from '../../core/access.ts';
import { PaasError } from '../../core/errors.ts';
import { enqueueEvent } from '../../core/outbox.ts';
import { currentRelease } from '../releases.ts';
import { ago, flag, need, table, type Command, type CommandContext } from './types.ts';

/** The file the local runtime appends an app's output to. */
export function appLogFile(dataDir: string, app: string): string {
  return path.join(dataDir, 'logs', `${app}.log`);
}

function parseScale(pairs: string[]): Record<string, number> {
  if (!pairs.length) throw new PaasError('E_USAGE', 'Usage: ps:scale APP TYPE=N…, e.g. ps:scale myapp web=2 worker=1');
  const out: Record<string, number> = {};
  for (const p of pairs) {
    const m = /^([a-z0-9][a-z0-9_-]*)=(\d{1,2})$/.exec(p);
    if (!m) throw new PaasError('E_USAGE', `"${p.slice(0, 80)}" is not TYPE=N (N from 0 to 99)`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

const TAIL_BYTES = 256 * 1024;

/** Reads bytes [from, to) of a file. */
function readRange(file: string, from: number, to: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** Prints the last lines of the log file, then (with -t) follows it until the client goes away. */
async function tailLog(ctx: CommandContext, file: string, lines: number, follow: boolean): Promise<void> {
  const sizeOf = () => (fs.existsSync(file) ? fs.statSync(file).size : 0);
  let pos = sizeOf();
  if (pos > 0) readRange(file, Math.max(0, pos - TAIL_BYTES), pos).split('\n').filter(Boolean).slice(-lines).forEach(ctx.out);
  while (follow && !ctx.signal.aborted) {
    await new Promise((r) => setTimeout(r, 250));
    const size = sizeOf();
    if (size < pos) pos = 0; // the file was replaced
    if (size === pos) continue;
    const text = readRange(file, pos, size);
    const complete = text.lastIndexOf('\n') + 1; // hold back a partial last line
    pos += Buffer.byteLength(text.slice(0, complete));
    text.slice(0, complete).split('\n').filter(Boolean).forEach(ctx.out);
  }
}

export const processCommands: Command[] = [
  {
    name: 'ps', args: 'APP', summary: "Show an app's processes",
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'ps APP'));
      const rows = await ctx.db('processes').where({ app: app.name }).orderBy(['type', 'index']);
      const release = await currentRelease(ctx.db, app);
      ctx.out(`=== ${app.name} processes (${release ? `v${release.version}` : 'no release'})`);
      if (!rows.length) { ctx.out(release ? 'No processes running' : 'No release yet: git push to deploy'); return; }
      table(rows.map((p) => [`${p.type}.${p.index}`, p.state, `v${p.version}`, p.port ? `port ${p.port}` : '-', `restarts ${p.restarts}`, `since ${ago(p.since)}`])).forEach(ctx.out);
    },
  },
  {
    name: 'ps:scale', args: 'APP TYPE=N…', summary: 'Scale process types, e.g. web=2 worker=1',
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'ps:scale APP TYPE=N…');
      const quantities = parseScale(args.positional.slice(1));
      await ctx.db.transaction(async (trx) => {
        const app = await appForActor(trx, ctx.actor, name);
        const release = await currentRelease(trx, app);
        if (!release) throw new PaasError('E_NO_RELEASE', `${app.name} has no release yet: git push first`);
        const build = await trx('builds').where({ id: release.build_id }).first('process_types');
        const unknown = Object.keys(quantities).filter((t) => !(t in (build?.process_types ?? {})) || t === 'release');
        if (unknown.length) throw new PaasError('E_PROCESS_TYPE_UNKNOWN', `No process type ${unknown.join(', ')} in v${release.version}; its types are: ${Object.keys(build?.process_types ?? {}).filter((t) => t !== 'release').join(', ')}`);
        await trx('apps').where({ id: app.id }).update({ formation: JSON.stringify({ ...app.formation, ...quantities }) });
        await enqueueEvent(trx, 'formationUpdated', { app: app.name, quantities });
      });
      ctx.out(`Scaling ${name}: ${Object.entries(quantities).map(([t, n]) => `${t}=${n}`).join(' ')}... done`);
    },
  },
  {
    name: 'logs', args: 'APP [-t] [-n N]', summary: "Show an app's output; -t keeps following it",
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'logs APP [-t]'));
      const n = Number(flag(args, 'n') ?? flag(args, 'num') ?? 100);
      if (!Number.isInteger(n) || n < 1 || n > 10000) throw new PaasError('E_USAGE', '-n takes a number of lines from 1 to 10000');
      await tailLog(ctx, appLogFile(ctx.config.dataDir, app.name), n, args.flags.has('t') || args.flags.has('tail'));
    },
  },
];
