// test/support/catalogue.ts — reads docs/security.md's hostile-input catalogue and the test names declared in test
// files, for test/security-catalogue.test.ts. Pure: text in, rows and names out; the test does the file reading.

/** One catalogue row, with where it sits for the failure messages. */
export interface CatalogueRow {
  line: number;
  area: string;
  cells: string[];
  input: string;
  outcome: string;
  file: string;
  name: string;
}

/** Splits a Markdown table row into its cells: `\|` is a pipe inside a cell, not a border. */
export function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.replace(/\\\|/g, '|').trim());
}

/** A cell's text without the backticks around it (`x` or `` x ``, as Markdown writes code containing a backtick). */
export function unquote(cell: string): string {
  const m = /^(`+)\s?([\s\S]*?)\s?\1$/.exec(cell);
  return m ? m[2]! : cell;
}

const isSeparator = (cells: string[]) => cells.length > 0 && cells.every((c) => /^:?-{3,}:?$/.test(c));

/**
 * The rows of every table under `## The catalogue` (up to the next `## ` heading), each tagged with the `### ` heading
 * it sits under. A table's header is the row just before its separator row; both are skipped.
 */
export function parseCatalogue(markdown: string): CatalogueRow[] {
  const lines = markdown.split('\n');
  const rows: CatalogueRow[] = [];
  let inCatalogue = false;
  let area = '';
  lines.forEach((text, i) => {
    if (/^## /.test(text)) { inCatalogue = /^## The catalogue\s*$/.test(text); area = ''; return; }
    if (!inCatalogue) return;
    if (/^### /.test(text)) { area = text.slice(4).trim(); return; }
    if (!text.trim().startsWith('|')) return;
    const cells = splitRow(text);
    const next = lines[i + 1]?.trim().startsWith('|') ? splitRow(lines[i + 1]!) : [];
    if (isSeparator(cells) || isSeparator(next)) return;
    const [input = '', outcome = '', file = '', name = ''] = cells;
    rows.push({ line: i + 1, area, cells, input, outcome, file: unquote(file), name: unquote(name) });
  });
  return rows;
}

/** The area a `### ` heading names: its words up to a parenthesis, e.g. `HTTP (web port and router)` is `HTTP`. */
export const areaOf = (heading: string) => heading.replace(/\s*\(.*$/, '').trim();

/** A string literal's text as JavaScript reads it (the common escapes); `${…}` in a template stays as written. */
function decode(raw: string): string {
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[\s\S])/g, (_, e: string) => {
    if (e[0] === 'u' || e[0] === 'x') return e.length > 1 ? String.fromCodePoint(parseInt(e.replace(/[ux{}]/g, ''), 16)) : e;
    return ({ n: '\n', t: '\t', r: '\r', '0': '\0', '\n': '' } as Record<string, string>)[e] ?? e;
  });
}

/** Reads the string literal opening at `at` (quote included); returns its raw text and the index after it. */
function readLiteral(src: string, at: number): { raw: string; end: number } | undefined {
  const quote = src[at];
  if (quote !== "'" && quote !== '"' && quote !== '`') return undefined;
  let i = at + 1;
  while (i < src.length && src[i] !== quote) {
    if (src[i] === '\\') i += 2;
    else if (quote === '`' && src.startsWith('${', i)) i = skipBraces(src, i + 1);
    else if (quote !== '`' && src[i] === '\n') return undefined;
    else i += 1;
  }
  return i < src.length ? { raw: src.slice(at + 1, i), end: i + 1 } : undefined;
}

/** The index after the `}` that closes the `{` at `open`, skipping strings inside. */
function skipBraces(src: string, open: number): number {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const lit = readLiteral(src, i);
    if (lit) { i = lit.end - 1; continue; }
    if (src[i] === '{') depth += 1;
    if (src[i] === '}' && --depth === 0) return i + 1;
  }
  return src.length;
}

/** A call that declares a test: `test(`, `it(`, `describe(`, `suite(`, `t.test(`, with `.skip`/`.only`/`.todo`. */
const DECLARATION = /(?<![\w$.])(?:[A-Za-z_$][\w$]*\.)?(?:test|it|describe|suite)(?:\.(?:skip|only|todo))?\s*\(\s*/g;

/**
 * Every name a test file declares, both as written in the source (escapes included, `${…}` kept) and as JavaScript
 * reads it. Only a literal followed by a comma counts: `re.test('x')` is not a declaration.
 */
export function declaredTestNames(source: string): Set<string> {
  const names = new Set<string>();
  for (const m of source.matchAll(DECLARATION)) {
    const lit = readLiteral(source, m.index + m[0].length);
    if (!lit || !/^\s*,/.test(source.slice(lit.end))) continue;
    names.add(lit.raw);
    names.add(decode(lit.raw));
  }
  return names;
}

/**
 * The folders `npm test` runs and the paths it leaves out, read from its script (package.json's, with scripts/test.sh):
 * `find DIR… -name '*.test.ts' -not -path 'GLOB'`.
 */
export function testGlobs(script: string): { dirs: string[]; excluded: RegExp[] } {
  const find = /\bfind\s+((?:[\w./-]+\s+)+)-name\s+'\*\.test\.ts'((?:\s+-not\s+-path\s+'[^']+')*)/.exec(script);
  if (!find) throw new Error(`package.json's test script does not run find … -name '*.test.ts': ${script}`);
  const dirs = find[1]!.trim().split(/\s+/);
  const excluded = [...find[2]!.matchAll(/-path\s+'([^']+)'/g)].map(([, glob]) =>
    new RegExp(`^${glob!.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`));
  return { dirs, excluded };
}

/** Whether a repo-relative path is one `npm test` runs. */
export function isRunByNpmTest(file: string, globs: { dirs: string[]; excluded: RegExp[] }): boolean {
  return file.endsWith('.test.ts') && globs.dirs.some((d) => file.startsWith(`${d}/`)) && !globs.excluded.some((re) => re.test(file));
}
