// cli/types.ts — the shape of a CLI command; the same table serves the local CLI and SSH commands.
import { parseArgs as parseArgv } from 'node:util';
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import { PaasError } from '../core/errors.ts';
import type { RuntimeReader } from '../runtime/reader.ts';
import type { OneOffRunner } from '../runtime/types.ts';

export interface CommandContext {
  db: Knex;
  config: Config;
  actor: Actor;
  /** What runs and what it printed (ps, logs), whichever mode runs it. */
  reader: RuntimeReader;
  out(line: string): void;
  err(line: string): void;
  readStdin(): Promise<string>;
  /** Asks for a secret without echoing it, when a person sits at a terminal (the local CLI only); '' otherwise. */
  promptSecret?(prompt: string): Promise<string>;
  /** Aborted when the client goes away (Ctrl-C, SSH channel closed): followers stop then. */
  signal: AbortSignal;
  /** Runs one-off processes (`run`), the mode's runner; unset where no command can run one. */
  oneOff?: OneOffRunner;
  /** When the client has not taken the output written so far: resolves once it has (or has gone); else undefined. */
  drain?(): Promise<void> | undefined;
}

/**
 * A command's flags, as node:util parseArgs takes them: `--owner EMAIL` is a string, `--admin` a boolean.
 * `bareIsEmpty`: the flag given without its value is '' and the command judges it (a bare --confirm confirms nothing).
 */
export type Flags = Record<string, { type: 'string' | 'boolean'; short?: string; bareIsEmpty?: boolean }>;

export interface Command {
  name: string;
  args: string;        // usage after the name, e.g. 'APP K=V…'
  summary: string;
  /** The flags the command takes; any other is refused (E_USAGE). --help/-h is every command's. */
  flags?: Flags;
  localOnly?: boolean; // only from the platform's own machine (npm run paas)
  /** After this many positional words, the rest of argv is the command's own, flags and all (`run APP ls -la`). */
  tailAfter?: number;
  /** Resolves with the exit code to pass back when the command has one of its own (`run`); else it exits 0. */
  run(ctx: CommandContext, args: Args): Promise<ExitCode | void>;
}

/** A process exit code (0-255), passed back as the SSH channel's exit status or the local CLI's. */
export type ExitCode = number;

/** Parsed argv: positional words and --flags by their long name (strings, or true for booleans). */
export interface Args { positional: string[]; flags: Map<string, string | true> }

const HELP: Flags = { help: { type: 'boolean', short: 'h' } };

/**
 * Parses a command's argv with node:util parseArgs (`--` ends the flags). Unknown flags, a string flag without its
 * value and a value given to a boolean flag are E_USAGE naming the flag and the command's usage, never ignored.
 */
export function parseArgs(argv: string[], flags: Flags = {}, usage = '', tailAfter?: number): Args {
  const options = { ...HELP, ...flags };
  if (tailAfter !== undefined) {
    const cut = tailStart(argv, options, tailAfter);
    const head = parseArgs(argv.slice(0, cut), flags, usage);
    return { positional: [...head.positional, ...argv.slice(cut)], flags: head.flags };
  }
  // strict: false so that the checks below can word the errors; they refuse all that strict mode would.
  const { values, positionals, tokens } = parseArgv({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const refuse = (what: string) => new PaasError('E_USAGE', `${what}. Usage: ${usage}`);
  const bare = new Set<string>();
  for (const t of tokens) {
    if (t.kind !== 'option') continue;
    const spec = options[t.name];
    if (!spec) throw refuse(`Unknown flag ${t.rawName}`);
    // A value that looks like a flag was most likely not meant as one: `--owner --admin` (write --owner=-x for that).
    if (spec.type === 'string' && (t.value === undefined || (!t.inlineValue && t.value.startsWith('-')))) {
      if (!spec.bareIsEmpty || t.value !== undefined) throw refuse(`${t.rawName} needs a value`);
      bare.add(t.name);
    }
    if (spec.type === 'boolean' && t.value !== undefined) throw refuse(`${t.rawName} takes no value`);
  }
  const given = Object.entries(values).filter((e): e is [string, string | true] => e[1] !== undefined && e[1] !== false)
    .map(([name, v]): [string, string | true] => [name, bare.has(name) ? '' : v]);
  return { positional: positionals, flags: new Map(given) };
}

/**
 * Where the words after the first `count` positional ones begin (argv.length when there are none): a `--` or a
 * flag's value does not count, so `run APP ls -la` leaves `ls -la` whole, as `run APP -- ls -la` does.
 */
function tailStart(argv: string[], options: Flags, count: number): number {
  let seen = 0;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') return argv.length; // parseArgs makes everything after it positional
    if (word.startsWith('-') && word !== '-') {
      const spec = word.startsWith('--') ? options[word.slice(2)] : Object.values(options).find((o) => `-${o.short}` === word);
      if (spec?.type === 'string' && !word.includes('=')) i++; // its value
      continue;
    }
    if (++seen > count) return i;
  }
  return argv.length;
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

/**
 * The `drain` of a context writing to these streams: while one holds more than its buffer, a promise that resolves
 * once it has drained (or closed, or the client went away), so output is read no faster than the client takes it.
 */
export function drainOf(streams: NodeJS.WritableStream[], signal: AbortSignal): () => Promise<void> | undefined {
  return () => {
    const full = streams.find((s) => (s as { writableNeedDrain?: boolean }).writableNeedDrain);
    if (!full || signal.aborted) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => { full.off('drain', done); full.off('close', done); signal.removeEventListener('abort', done); resolve(); };
      full.once('drain', done);
      full.once('close', done);
      signal.addEventListener('abort', done, { once: true });
    });
  };
}

/** Lays out rows as aligned columns. */
export function table(rows: string[][]): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}
