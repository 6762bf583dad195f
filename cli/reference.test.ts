// cli/reference.test.ts — docs/user/cli.md is what the command table says today (regenerate: npm run docs:cli).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commands } from './commands.ts';
import { CLI_PAGE, cliReference } from './reference.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('docs/user/cli.md is generated from the command table and up to date (npm run docs:cli)', () => {
  const page = fs.readFileSync(path.join(ROOT, CLI_PAGE), 'utf8');
  assert.equal(page, cliReference(), `${CLI_PAGE} is stale: run npm run docs:cli and commit it`);
});

test('the reference names every command with its usage and summary', () => {
  const page = cliReference();
  for (const c of commands) {
    assert.ok(page.includes(`\`${`${c.name} ${c.args}`.trimEnd().replace(/\|/g, '\\|')}\``), c.name);
    assert.ok(page.includes(c.summary.replace(/\|/g, '\\|')), c.summary);
  }
});
