#!/usr/bin/env node
// bin/paas.js — the package's `paas` command: the local CLI (cli/main.ts). In a checkout (after `npm ci`) it runs the
// sources through tsx, so it never lags behind them; the platform image holds only dist/ (and no tsx), so there it
// runs the compiled CLI.
import fs from 'node:fs';

const source = new URL('../cli/main.ts', import.meta.url);
if (fs.existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/cli/main.js');
}
