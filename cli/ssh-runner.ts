// cli/ssh-runner.ts — runs CLI commands that arrive over SSH, as the key's user (gitd calls it).
import type { Knex } from 'knex';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { User } from '../core/accounts/users.ts';
import { runCommand } from './commands.ts';

interface Io { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; signal: AbortSignal }

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    stream.on('data', (c: Buffer | string) => { data += c.toString(); });
    stream.on('end', () => resolve(data));
  });
}

/** The command runner gitd's SSH server is given (gitd does not import the controller). */
export function sshCommandRunner(db: Knex, config: Config, log: Logger) {
  return (argv: string[], user: User, io: Io): Promise<number> => runCommand({
    db, config, actor: { kind: 'user', user }, signal: io.signal,
    out: (l) => io.stdout.write(l + '\n'), err: (l) => io.stderr.write(l + '\n'),
    readStdin: () => readAll(io.stdin),
  }, argv, false, `ssh -p ${config.endpoints.sshPort} git@${config.baseDomain}`, log);
}
