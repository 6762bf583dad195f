// scripts/cli-docs.ts — `npm run docs:cli`: writes docs/user/cli.md from the command table (cli/reference.ts).
// cli/reference.test.ts fails when the committed page differs from what this writes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_PAGE, cliReference } from '../cli/reference.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
fs.writeFileSync(path.join(root, CLI_PAGE), cliReference());
process.stdout.write(`wrote ${CLI_PAGE}\n`);
