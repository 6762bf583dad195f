// cli/run.ts — `run APP CMD…` (Heroku's `heroku run`, Dokku's `run`): a one-off process of the live release in the
// app's environment, through the mode's runner (ctx.oneOff); output streamed line by line, its exit code passed back.
import { appForActor } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { oneOffSpec, toCommandLine } from '../services/one-off.ts';
import { need, type Command } from './types.ts';

const usage = 'run APP [--] CMD…';

export const runCommands: Command[] = [
  {
    name: 'run', args: 'APP [--] CMD…',
    summary: "Run a one-off command in the app's environment; prints its output, exits with its code (no input, no terminal)",
    tailAfter: 1, // `run APP ls -la`: the command's flags are its own
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', usage));
      const words = args.positional.slice(1);
      if (!words.length || words.every((w) => w.trim() === '')) throw new PaasError('E_USAGE', `Give the command to run. Usage: ${usage}`);
      const spec = await oneOffSpec(ctx.db, ctx.config, app);
      if (!ctx.oneOff) throw new PaasError('E_RUN_UNAVAILABLE', '`run` is not available here');
      const timeoutMs = ctx.config.oneOff.timeoutSeconds * 1000;
      const deadline = AbortSignal.timeout(timeoutMs);
      const code = await ctx.oneOff.runOneOff({
        spec, command: toCommandLine(words), timeoutMs, signal: AbortSignal.any([ctx.signal, deadline]),
        onLine: (line, stream) => (stream === 'stdout' ? ctx.out(line) : ctx.err(line)),
        drain: ctx.drain && (() => ctx.drain!()),
      });
      if (deadline.aborted && !ctx.signal.aborted) {
        ctx.err(` !     Stopped after ${ctx.config.oneOff.timeoutSeconds}s, the limit of a one-off process (PAAS_RUN_TIMEOUT_SECONDS)`);
      }
      return code;
    },
  },
];
