// web/docs/pages.test.ts — the user docs in docs/user against the code: every command a ```sh block shows (`paas …`,
// `npm run paas -- …`, `ssh … git@HOST …`) is in the real command table and parses with cli's own parser and an
// argument count its usage allows; every page has its header; and no paragraph of README.md is repeated verbatim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from '../../cli/commands.ts';
import { parseArgs, type Command } from '../../cli/types.ts';
import { DOCS_DIR, loadDocs, parseHeader } from './site.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pageFiles = () => fs.readdirSync(DOCS_DIR).filter((f) => f.endsWith('.md')).sort();
const readPage = (f: string) => fs.readFileSync(path.join(DOCS_DIR, f), 'utf8');

/** The lines of every ```sh block of a page, continuation lines joined and a leading `$ ` dropped. */
function shLines(md: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/^```sh[^\n]*\n([\s\S]*?)^```/gm)) {
    out.push(...m[1]!.replace(/\\\n\s*/g, ' ').split('\n').map((l) => l.trim().replace(/^\$\s+/, '')).filter(Boolean));
  }
  return out;
}

/** Splits a shell line into words (quotes kept together, then removed), stopping at a redirection, pipe or comment. */
function shellWords(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/(?:[^\s'"]+|'[^']*'|"(?:[^"\\]|\\.)*")+|\S/g)) {
    const w = m[0];
    if (/^(<|>|\||&&|;|#)/.test(w)) break;
    words.push(w.replace(/'([^']*)'|"((?:[^"\\]|\\.)*)"/g, '$1$2'));
  }
  return words;
}

/** How many positional words a command's usage (`APP [vN]`, `APP KEY=VALUE…`) allows. */
function arity(usage: string): { min: number; max: number } {
  const s = usage.replace(/\(.*?\)/g, '').replace(/<.*$/, '').replace(/\[-[^\]]*\]/g, '').replace(/(^|\s)--?[a-z][\w-]*(\s+[A-Z][A-Z_]*)?/g, ' ')
    .replace(/(^|\s)\|(?=\s|$)/g, ' '); // `--user EMAIL | --project NAME`: alternatives between flags are not words
  let min = 0, max = 0;
  for (const m of s.matchAll(/\[([^\]]*)\]|(\S+)/g)) {
    const words = (m[1] ?? m[2]!).split(/\s+/).filter(Boolean);
    if (m[1] === undefined) min += words.length;
    max += words.some((w) => w.endsWith('…')) ? Infinity : words.length;
  }
  return { min, max };
}

/** The command words of a docs line, with how it runs; undefined for lines that are not platform commands. */
function commandOf(line: string): { words: string[]; ssh: boolean } | undefined {
  const w = shellWords(line);
  if (w[0] === 'paas') return { words: w.slice(1), ssh: false };
  if (w.slice(0, 4).join(' ') === 'npm run paas --') return { words: w.slice(4), ssh: false };
  if (w[0] !== 'ssh') return undefined;
  let i = 1;
  while (i < w.length && w[i]!.startsWith('-')) i += /^-[pioFlJ]$/.test(w[i]!) ? 2 : 1; // options, with their values
  if (!w[i]?.includes('@')) return undefined;
  return { words: w.slice(i + 1), ssh: true };
}

/** Why a docs command line would not run as written, or undefined when it would. */
function checkLine(line: string, table: readonly Command[] = commands): string | undefined {
  const c = commandOf(line);
  if (!c) return undefined;
  const [name, ...rest] = c.words;
  const cmd = table.find((x) => x.name === name);
  if (!cmd) return `no command named ${name ?? '(none)'}`;
  if (c.ssh && cmd.localOnly) return `${name} is local only, not over SSH`;
  let positional: string[];
  try {
    positional = parseArgs(rest, cmd.flags, cmd.name, cmd.tailAfter).positional;
  } catch (err) {
    return (err as Error).message;
  }
  const { min, max } = arity(cmd.args);
  if (positional.length < min || positional.length > max) return `${name} takes ${min} to ${max} arguments (${cmd.args}), got ${positional.length}`;
  return undefined;
}

test('every command in a ```sh block of docs/user is in the command table, with flags and arguments it accepts', () => {
  const wrong: string[] = [];
  let checked = 0;
  for (const file of pageFiles()) {
    for (const line of shLines(readPage(file))) {
      if (!commandOf(line)) continue;
      checked++;
      const why = checkLine(line);
      if (why) wrong.push(`${file}: ${line} → ${why}`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(checked >= 30, `only ${checked} command lines were found`);
});

test('the checker refuses what would not run: unknown commands, wrong counts, unknown flags, local-only over SSH', () => {
  assert.equal(checkLine('paas apps:create hello'), undefined);
  assert.equal(checkLine('npm run paas -- config:set hello A=1 B=2 --no-restart'), undefined);
  assert.equal(checkLine('ssh -p 2222 git@h certs:add hello < bundle.pem'), undefined);
  assert.equal(checkLine('git push paas main'), undefined, 'not a platform command');
  assert.match(checkLine('paas apps:nope x')!, /no command named apps:nope/);
  assert.match(checkLine('paas apps:create')!, /takes 1 to 1/);
  assert.match(checkLine('paas rollback a v1 v2')!, /takes 1 to 2/);
  assert.match(checkLine('paas apps --bogus')!, /Unknown flag --bogus/);
  assert.match(checkLine('ssh -p 2222 git@h users:create a@b.c')!, /local only/);
  assert.deepEqual(arity('APP [CERT_FILE KEY_FILE] (or < bundle.pem)'), { min: 1, max: 3 });
  assert.deepEqual(arity('APP TYPE --min N --max M --cpu P'), { min: 2, max: 2 });
  assert.deepEqual(arity('APP [--] CMD…'), { min: 2, max: Infinity });
  assert.deepEqual(arity('EMAIL [--admin] < password'), { min: 1, max: 1 });
});

test('every page opens with its order and title, and the slugs are unique and valid', () => {
  const files = pageFiles();
  assert.ok(files.length >= 8);
  for (const f of files) assert.doesNotThrow(() => parseHeader(f, readPage(f)), f);
  const site = loadDocs();
  assert.equal(site.pages.length, files.length);
  const orders = site.pages.map((p) => p.order);
  assert.deepEqual(orders, [...orders].sort((a, b) => a - b));
});

/** Text with its whitespace folded, for comparing prose across line wraps. */
const fold = (s: string) => s.replace(/\s+/g, ' ').trim();

test('the docs never repeat a paragraph of README.md word for word', () => {
  const docs = fold(pageFiles().map(readPage).join('\n'));
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const paragraphs = readme.split(/\n\s*\n/).map(fold).filter((p) => p.length >= 80);
  assert.ok(paragraphs.length > 20);
  const repeated = paragraphs.filter((p) => docs.includes(p));
  assert.deepEqual(repeated.map((p) => p.slice(0, 120)), []);
});
