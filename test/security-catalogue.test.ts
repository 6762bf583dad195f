// test/security-catalogue.test.ts — docs/security.md's hostile-input catalogue and the test suite agree: each row
// names a test file that `npm test` runs and a test declared in it by its exact name; there are at least 60 rows,
// every area has some, no row repeats another's test for the same input, and every test that calls itself hostile is
// catalogued.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { areaOf, declaredTestNames, isRunByNpmTest, parseCatalogue, testGlobs, type CatalogueRow } from './support/catalogue.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOC = 'docs/security.md';
const SELF = path.relative(ROOT, fileURLToPath(import.meta.url)).split(path.sep).join('/');
const MIN_ROWS = 60;
/** Areas that must have at least one row; each matches the `###` heading it starts (`Kubernetes` is `Kubernetes mode`). */
const REQUIRED_AREAS = ['Git', 'SSH', 'HTTP', 'API', 'Dashboard', 'Sandbox', 'Database', 'Accounts', 'Domains', 'Kubernetes'];

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
const where = (row: CatalogueRow) => `${DOC}:${row.line} (${row.area || 'no ### area'}: ${JSON.stringify(row.name || row.input)})`;

// What `npm test` runs: package.json's test script, and scripts/test.sh when the script hands over to it.
const npmTest = JSON.parse(read('package.json')).scripts.test as string;
const globs = testGlobs(/\bscripts\/test\.sh\b/.test(npmTest) ? `${npmTest}\n${read('scripts/test.sh')}` : npmTest);
const rows = parseCatalogue(read(DOC));

const namesByFile = new Map<string, Set<string>>();
function namesIn(file: string): Set<string> {
  if (!namesByFile.has(file)) namesByFile.set(file, declaredTestNames(read(file)));
  return namesByFile.get(file)!;
}

/** What is wrong with one row, if anything. */
function problemsOf(row: CatalogueRow): string[] {
  if (row.cells.length !== 4) return [`${where(row)}: has ${row.cells.length} cells; a row is | hostile input | what happens | test file | test name |`];
  const empty = ['hostile input', 'what happens', 'test file', 'test name'].filter((_, i) => !row.cells[i]);
  if (empty.length) return [`${where(row)}: empty ${empty.join(', ')}`];
  if (!row.area) return [`${where(row)}: the row is not under a ### area heading`];
  const file = row.file;
  if (path.isAbsolute(file) || path.posix.normalize(file) !== file || file.startsWith('..')) return [`${where(row)}: ${file} is not a plain repo-relative path`];
  if (!fs.existsSync(path.join(ROOT, file))) return [`${where(row)}: no such file ${file}`];
  if (!isRunByNpmTest(file, globs)) return [`${where(row)}: ${file} is not among the files npm test runs (package.json's test script)`];
  if (!namesIn(file).has(row.name)) return [`${where(row)}: ${file} declares no test named ${JSON.stringify(row.name)}`];
  return [];
}

const STOP_WORDS = new Set('a an the of to or and in on with by its it is are for from as at be not no that this their any every all'.split(' '));
/** The words of a hostile input that say what it is: lowercase, code included, without the little words. */
const inputWords = (input: string) => new Set((input.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => w.length > 1 && !STOP_WORDS.has(w)));
const within = (a: Set<string>, b: Set<string>) => [...a].every((w) => b.has(w));

/**
 * Rows that repeat an earlier row: the same test file and name, and an input whose words are all in the other's (or
 * the other way round), in whichever area. Two rows may cite one test for inputs that differ (the sandbox's one
 * hostile app tries many things), so that each says something the other does not.
 */
function repeatsIn(all: CatalogueRow[]): string[] {
  const byTest = new Map<string, CatalogueRow[]>();
  const dups: string[] = [];
  for (const row of all) {
    const key = JSON.stringify([row.file, row.name]);
    const words = inputWords(row.input);
    const first = (byTest.get(key) ?? []).find((r) => within(words, inputWords(r.input)) || within(inputWords(r.input), words));
    if (first) dups.push(`${where(row)} repeats ${DOC}:${first.line} (${first.area}): the same test for the same input`);
    byTest.set(key, [...(byTest.get(key) ?? []), row]);
  }
  return dups;
}

/** Every test file npm test runs, repo-relative. */
function allTestFiles(): string[] {
  const walk = (dir: string): string[] => fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    return e.isDirectory() ? (e.name === 'node_modules' ? [] : walk(rel)) : [rel];
  });
  return globs.dirs.filter((d) => fs.existsSync(path.join(ROOT, d))).flatMap(walk).filter((f) => isRunByNpmTest(f, globs));
}

test('the catalogue parser reads cells, escaped pipes, backticks and areas, and skips headers and separators', () => {
  const doc = ['## The model', '| not | in | the | catalogue |', '## The catalogue', '### HTTP (web port and router)',
    '| hostile input | what happens | test file | test name |', '|---|---|---|---|',
    '| a `a\\|b` header | 400 | `web/x.test.ts` | `it\'s \\| here` |', '## After', '| x | y | z | w |'].join('\n');
  const parsed = parseCatalogue(doc);
  assert.deepEqual(parsed.map((r) => [r.line, r.area, r.input, r.file, r.name]), [[7, 'HTTP (web port and router)', 'a `a|b` header', 'web/x.test.ts', "it's | here"]]);
  assert.equal(areaOf(parsed[0]!.area), 'HTTP');
});

test('test names are read as declared: quotes, escapes, templates, t.test and describe; other .test() calls are not names', () => {
  const src = [
    "test('plain', () => {});", 'test("double \\"quoted\\"", async (t) => {', "  await t.test('sub test', () => {});",
    "test('it\\'s escaped', () => {});", 'test(`after ${LIMITS.n} tries`, { skip }, () => {});', "describe('group', () => {});",
    "it('an it', () => {});", "assert.ok(/x/.test('not a name'));", "RULE.test('nor this');", 'test(name, () => {});',
  ].join('\n');
  const names = declaredTestNames(src);
  for (const name of ['plain', 'double "quoted"', 'double \\"quoted\\"', 'sub test', "it's escaped", "it\\'s escaped",
    'after ${LIMITS.n} tries', 'group', 'an it']) assert.ok(names.has(name), name);
  assert.ok(!names.has('not a name') && !names.has('nor this'));
});

test('the test globs come from the npm test script', () => {
  assert.ok(globs.dirs.includes('test') && globs.dirs.includes('web'), globs.dirs.join(' '));
  assert.ok(isRunByNpmTest('test/security-catalogue.test.ts', globs));
  assert.ok(!isRunByNpmTest('test/fixtures/apps/x.test.ts', globs));
  assert.ok(!isRunByNpmTest('docs/x.test.ts', globs));
  assert.ok(!isRunByNpmTest('test/support/catalogue.ts', globs));
});

test('a row naming a missing file, a missing test or with an empty cell is reported with its line', () => {
  const doc = ['## The catalogue', '### Git', '| a | b | c | d |', '|---|---|---|---|',
    `| bad name | refused | test/security-catalogue.test.ts | no such test |`,
    '| bad file | refused | test/nope.test.ts | x |', '| empty | | test/security-catalogue.test.ts | x |',
    '| not run | refused | test/support/catalogue.ts | x |'].join('\n');
  const problems = parseCatalogue(doc).flatMap(problemsOf);
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(problems[0]!, /:5 .*declares no test named "no such test"/);
  assert.match(problems[1]!, /:6 .*no such file test\/nope\.test\.ts/);
  assert.match(problems[2]!, /:7 .*empty what happens/);
  assert.match(problems[3]!, /:8 .*not among the files npm test runs/);
});

test('every catalogue row names a test that exists, in a file npm test runs', () => {
  const problems = rows.flatMap(problemsOf);
  assert.deepEqual(problems, [], `${problems.length} catalogue rows are wrong:\n${problems.join('\n')}`);
});

test(`the catalogue has at least ${MIN_ROWS} rows, and rows in every area`, () => {
  const byArea = new Map<string, number>();
  for (const row of rows) byArea.set(areaOf(row.area), (byArea.get(areaOf(row.area)) ?? 0) + 1);
  const counts = [...byArea].map(([a, n]) => `${a}: ${n}`).join(', ');
  assert.ok(rows.length >= MIN_ROWS, `${rows.length} rows (${counts}); the catalogue needs at least ${MIN_ROWS}`);
  const missing = REQUIRED_AREAS.filter((a) => ![...byArea.keys()].some((h) => h === a || h.startsWith(`${a} `)));
  assert.deepEqual(missing, [], `areas with no row: ${missing.join(', ')} (${counts})`);
});

test('two rows for one test are repeats when one input says nothing the other does not, in any area', () => {
  const doc = ['## The catalogue', '### Git', '| a | b | c | d |', '|---|---|---|---|',
    '| a tag push, over SSH or HTTP | refused | f.test.ts | tags |', '| a deploy-branch deletion | refused | f.test.ts | tags |',
    '| an interactive shell | refused | f.test.ts | shell |', '### SSH', '| a | b | c | d |', '|---|---|---|---|',
    '| A tag push | refused | f.test.ts | tags |', '| an interactive shell (`ssh git@host`) | refused | g.test.ts | shell |'].join('\n');
  const dups = repeatsIn(parseCatalogue(doc));
  assert.equal(dups.length, 1, dups.join('\n'));
  assert.match(dups[0]!, /:11 .*repeats docs\/security\.md:5/);
});

test('no two rows name the same test for the same hostile input', () => {
  const dups = repeatsIn(rows);
  assert.deepEqual(dups, [], dups.join('\n'));
});

test('every test that calls itself hostile, by name or in its file\'s opening comment, is catalogued', () => {
  const cited = new Set(rows.map((r) => JSON.stringify([r.file, r.name])));
  const citedFiles = new Set(rows.map((r) => r.file));
  const missing: string[] = [];
  for (const file of allTestFiles().filter((f) => f !== SELF)) {
    const source = read(file);
    const opening = /^(?:\/\/.*\n)+/.exec(source)?.[0] ?? '';
    if (/\bhostile\b/i.test(opening) && !citedFiles.has(file)) missing.push(`${file}: its opening comment says it tests hostile input, but no row names it`);
    for (const name of declaredTestNames(source)) {
      if (/\bhostile\b/i.test(name) && !name.includes('\\') && !cited.has(JSON.stringify([file, name]))) missing.push(`${file}: test ${JSON.stringify(name)}`);
    }
  }
  assert.deepEqual(missing, [], `not in ${DOC}'s catalogue:\n${missing.join('\n')}`);
});
