// cli/types.ts — the shape of a CLI command; the same table serves the local CLI and SSH commands.
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import { PaasError } from '../core/errors.ts';
import type { RuntimeReader } from '../runtime/reader.ts';

export interface CommandContext {
  db: Knex;
  config: Config;
  actor: Actor;
  /** What runs and what it printed (ps, logs), whichever mode runs it. */
  reader: RuntimeReader;
  out(line: string): void;
  err(line: string): void;
  readStdin(): Promise<string>;
  /** Aborted when the client goes away (Ctrl-C, SSH channel closed): followers stop then. */
  signal: AbortSignal;
}

export interface Command {
  name: string;
  args: string;        // usage after the name, e.g. 'APP K=V…'
  summary: string;
  localOnly?: boolean; // only from the platform's own machine (npm run paas)
  run(ctx: CommandContext, args: Args): Promise<void>;
}

/** Parsed argv: positional words and --flags (with or without values). */
export interface Args { positional: string[]; flags: Map<string, string | true> }

const VALUE_FLAGS = new Set(['confirm', 'password', 'description', 'owner', 'num', 'n']);

/** Parses argv; flags named in VALUE_FLAGS take the next word (or --flag=value). */
export function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--?([a-z][a-z-]*)(?:=(.*))?$/.exec(a);
    if (!m) { positional.push(a); continue; }
    const name = m[1]!;
    if (m[2] !== undefined) flags.set(name, m[2]);
    else if (VALUE_FLAGS.has(name) && i + 1 < argv.length) flags.set(name, argv[++i]!);
    else flags.set(name, true);
  }
  return { positional, flags };
}

/** The n-th positional argument, or E_USAGE naming what is missing. */
export function need(args: Args, index: number, what: string, usage: string): string {
  const v = args.positional[index];
  if (v === undefined) throw new PaasError('E_USAGE', `Missing ${what}. Usage: ${usage}`);
  return v;
}

/** A string flag's value, if given. */
export function flag(args: Args, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** Formats a date as a short relative time ("3 minutes ago"). */
export function ago(d: Date | string | null | undefined): string {
  if (!d) return 'never';
  const s = Math.max(0, Math.round((Date.now() - new Date(d).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** Lays out rows as aligned columns. */
export function table(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}
