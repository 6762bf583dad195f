// gitd/ssh-command.ts — parses what an SSH client asks to exec: a git service on <app>.git, or a CLI command.
// This is a security boundary: only git-receive-pack and git-upload-pack reach git, on a validated app name.
import { PaasError } from '../core/errors.ts';
import { parseRepoPath } from '../core/names.ts';

export type SshCommand =
  | { kind: 'git'; service: 'receive-pack' | 'upload-pack'; app: string }
  | { kind: 'cli'; argv: string[] };

/** Splits a command line the way a POSIX shell would for plain words, single and double quotes (no expansion). */
export function splitArgs(line: string): string[] {
  const args: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') { quote = c; inWord = true; }
    else if (c === '\\' && i + 1 < line.length) { cur += line[++i]; inWord = true; }
    else if (/\s/.test(c)) { if (inWord) args.push(cur); cur = ''; inWord = false; }
    else { cur += c; inWord = true; }
  }
  if (quote) throw new PaasError('E_USAGE', 'Unterminated quote in the command');
  if (inWord) args.push(cur);
  return args;
}

/** Parses an exec request; git services must name exactly one repo path. */
export function parseSshCommand(line: string): SshCommand {
  const argv = splitArgs(line);
  let [first = '', ...rest] = argv;
  if (first === 'git' && /^(receive|upload)-pack$/.test(rest[0] ?? '')) { first = `git-${rest[0]}`; rest = rest.slice(1); }
  const m = /^git-(receive-pack|upload-pack)$/.exec(first);
  if (m) {
    if (rest.length !== 1) throw new PaasError('E_REPO_PATH_INVALID', `${first} takes exactly one repository, like myapp.git`);
    return { kind: 'git', service: m[1] as 'receive-pack' | 'upload-pack', app: parseRepoPath(rest[0]!) };
  }
  if (/^git[- ]/.test(first)) throw new PaasError('E_COMMAND_UNKNOWN', `${first} is not available here: only git push and git fetch/clone are`);
  return { kind: 'cli', argv };
}
