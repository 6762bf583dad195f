// cli/commands.ts — the command table and its runner, shared by the local CLI and SSH commands.
import { isPaasError, PaasError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { accountCommands } from './accounts.ts';
import { appCommands } from './apps.ts';
import { certCommands } from './certs.ts';
import { gitSourceCommands } from './git-sources.ts';
import { inviteCommands } from './invites.ts';
import { manifestCommands } from './manifests.ts';
import { planCommands } from './plans.ts';
import { processCommands } from './processes.ts';
import { projectCommands } from './projects.ts';
import { releaseCommands } from './releases.ts';
import { reviewAppCommands } from './review-apps.ts';
import { runCommands } from './run.ts';
import { webhookCommands } from './webhooks.ts';
import { signInCommands } from './sign-in.ts';
import { parseArgs, table, type Command, type CommandContext } from './types.ts';

/** The most standard input a command reads (the largest are an SSH public key and a certificate bundle, a few KiB each). */
export const stdinLimitBytes = 64 * 1024;

export const commands: Command[] = [
  ...accountCommands, ...inviteCommands, ...appCommands, ...certCommands, ...releaseCommands, ...processCommands,
  ...runCommands, ...manifestCommands,
  ...planCommands,
  ...webhookCommands,
  ...reviewAppCommands,
  ...projectCommands,
  ...gitSourceCommands,
  ...signInCommands,
];

/** The --help text; SSH users don't see local-only commands. */
export function helpText(local: boolean, invoke: string): string[] {
  const rows = commands.filter((c) => local || !c.localOnly).map((c) => [`  ${c.name} ${c.args}`.trimEnd(), c.summary]);
  return [`Usage: ${invoke} <command> [args]`, '', 'Commands:', ...table(rows), '', `Errors print a line starting with " !     " and exit 1.`];
}

/** Runs one command line; returns the exit code. PaasErrors print as ` !     message`; anything else gets a reference. */
export async function runCommand(ctx: CommandContext, argv: string[], local: boolean, invoke: string, log: Logger): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') { helpText(local, invoke).forEach(ctx.out); return 0; }
  try {
    const cmd = commands.find((c) => c.name === name && (local || !c.localOnly));
    if (!cmd) throw new PaasError('E_COMMAND_UNKNOWN', `Unknown command "${name.slice(0, 60)}"; run ${invoke} --help for the list`);
    const args = parseArgs(rest, cmd.flags, `${invoke} ${cmd.name} ${cmd.args}`.trimEnd(), cmd.tailAfter);
    if (args.flags.has('help')) { ctx.out(`Usage: ${invoke} ${cmd.name} ${cmd.args}`); ctx.out(cmd.summary); return 0; }
    return (await cmd.run(ctx, args)) ?? 0;
  } catch (err) {
    if (isPaasError(err)) { ctx.err(` !     ${err.message}`); return 1; }
    const ref = Math.random().toString(36).slice(2, 10);
    log.error({ err, ref, command: name }, 'command failed');
    ctx.err(` !     Internal error (reference ${ref}); see the platform log`);
    return 1;
  }
}
