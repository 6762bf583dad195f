// cli/reference.ts — the CLI reference page of the user docs (docs/user/cli.md), written from the command table so
// it cannot drift: scripts/cli-docs.ts writes it, and cli/reference.test.ts fails when the file is stale.
import { commands } from './commands.ts';
import type { Command } from './types.ts';

/** The page's file, relative to the repository. */
export const CLI_PAGE = 'docs/user/cli.md';

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function flagList(cmd: Command): string {
  const flags = Object.entries(cmd.flags ?? {}).map(([name, f]) =>
    `\`--${name}${f.type === 'string' ? ' VALUE' : ''}\`${f.short ? ` (\`-${f.short}\`)` : ''}`);
  return flags.length ? flags.join(', ') : '';
}

/** The commands grouped by the word before their first colon (`apps`, `apps:create` → apps), in table order. */
function groups(): Map<string, Command[]> {
  const out = new Map<string, Command[]>();
  for (const cmd of commands) {
    const area = cmd.name.split(':')[0]!;
    out.set(area, [...(out.get(area) ?? []), cmd]);
  }
  return out;
}

/** The Markdown of docs/user/cli.md. */
export function cliReference(): string {
  const lines = [
    '<!-- order: 110 -->',
    '# CLI reference',
    '',
    '<!-- Generated from cli/commands.ts by `npm run docs:cli`; do not edit by hand. -->',
    '',
    'Every command runs in two ways. On the platform\'s own machine, as its operator, from the checkout:',
    '`npm run paas -- <command>` (or the package\'s `paas` bin). From anywhere with an SSH key you added, as yourself:',
    '`ssh -p 2222 git@HOST <command>`. The examples in these pages write `paas <command>` for either.',
    'Commands marked *local only* are refused over SSH.',
    '',
    'Every command takes `--help` (`-h`). An unknown flag, or a flag without its value, is refused with the usage line.',
    'Errors print a line starting with ` !     ` and the command exits with status 1.',
    '',
  ];
  for (const [area, cmds] of groups()) {
    lines.push(`## ${area}`, '', '| Command | What it does | Flags |', '|---|---|---|');
    for (const c of cmds) {
      const usage = `\`${cell(`${c.name} ${c.args}`.trimEnd())}\``;
      lines.push(`| ${usage} | ${cell(c.summary)}${c.localOnly ? ' (*local only*)' : ''} | ${flagList(c)} |`);
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
