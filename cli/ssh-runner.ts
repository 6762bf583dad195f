// cli/ssh-runner.ts — runs CLI commands that arrive over SSH, as the key's user (gitd calls it).
import type { Knex } from 'knex';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { User } from '../core/accounts/users.ts';
import type { RuntimeReader } from '../runtime/reader.ts';
import type { OneOffRunner } from '../runtime/types.ts';
import { readAll } from '../core/read-all.ts';
import { runCommand, stdinLimitBytes } from './commands.ts';
import { drainOf } from './types.ts';

interface Io { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; signal: AbortSignal }

/**
 * The command runner gitd's SSH server is given (a main.ts wires it in; gitd does not import the CLI). `oneOff` runs
 * `run` (runtime/select.ts selectOneOff); the exit code a command returns becomes the channel's exit status.
 */
export function sshCommandRunner(db: Knex, config: Config, log: Logger, reader: RuntimeReader, oneOff?: OneOffRunner) {
  return (argv: string[], user: User, io: Io): Promise<number> => runCommand({
    db, config, actor: { kind: 'user', user }, reader, signal: io.signal, oneOff, drain: drainOf([io.stdout, io.stderr], io.signal),
    out: (l) => io.stdout.write(l + '\n'), err: (l) => io.stderr.write(l + '\n'),
    readStdin: () => readAll(io.stdin, stdinLimitBytes, 'Standard input'),
  }, argv, false, `ssh -p ${config.endpoints.sshPort} git@${config.baseDomain}`, log);
}
