// cli/main.ts — the local CLI (`npm run paas -- <command>`): acts as the platform's operator on the
// same database as the running platform (DATABASE_URL, or the embedded database the platform recorded).
import fs from 'node:fs';
import { loadConfig, type Config } from '../core/config.ts';
import { bindRunningEndpoints } from '../core/endpoints.ts';
import { openDb } from '../core/db/connect.ts';
import { databaseFile } from '../core/db/embedded.ts';
import { PaasError, isPaasError } from '../core/errors.ts';
import { createLogger } from '../core/logger.ts';
import { readAll } from '../core/read-all.ts';
import { selectOneOff, selectReader } from '../runtime/select.ts';
import { runCommand, helpText, stdinLimitBytes } from './commands.ts';
import { drainOf } from './types.ts';

/** Standard input, when it is piped (a terminal has nothing to give: keys:add then says what to pipe). */
function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return Promise.resolve('');
  return readAll(process.stdin, stdinLimitBytes, 'Standard input');
}

/** Reads a line from the terminal without echoing it (users:create's password); '' when stdin is not a terminal. */
function promptSecret(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return Promise.resolve('');
  process.stderr.write(prompt);
  return new Promise((resolve) => {
    let value = '';
    const done = (interrupted: boolean) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (interrupted) process.exit(130);
      resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(false);
        if (ch === '\u0003') return done(true);
        value = ch === '\u007f' || ch === '\b' ? value.slice(0, -1) : value + ch;
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** The database URL: DATABASE_URL, else the one the running platform recorded in its data dir. */
function databaseUrl(config: Config): string {
  if (config.databaseUrl) return config.databaseUrl;
  const file = databaseFile(config.dataDir);
  if (!fs.existsSync(file)) {
    throw new PaasError('E_DATABASE_UNAVAILABLE', `The platform is not running (no ${file}). Start it with npm start, or set DATABASE_URL`);
  }
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { url: string }).url;
}

async function main(argv: string[]): Promise<number> {
  const config = loadConfig();
  bindRunningEndpoints(config.dataDir, config.endpoints);
  const log = createLogger(config.logLevel, 'paas-cli');
  const invoke = 'npm run paas --';
  if (!argv.length || ['help', '--help', '-h'].includes(argv[0]!)) { helpText(true, invoke).forEach((l) => console.log(l)); return 0; }
  let db;
  try {
    db = await openDb(databaseUrl(config), config.dbSchema);
  } catch (err) {
    if (!isPaasError(err)) throw err;
    console.error(` !     ${err.message}`);
    return 1;
  }
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  try {
    // No bus here: `logs -t` follows the log file (or, in Kubernetes mode, the pods' logs).
    const reader = await selectReader(config, db);
    return await runCommand({
      db, config, actor: { kind: 'operator' }, reader, signal: abort.signal, readStdin, promptSecret,
      oneOff: selectOneOff(config, log), drain: drainOf([process.stdout, process.stderr], abort.signal),
      out: (l) => console.log(l), err: (l) => console.error(l),
    }, argv, true, invoke, log);
  } finally {
    await db.destroy();
  }
}

// `paas apps | head` closes stdout early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => { if (err.code === 'EPIPE') process.exit(0); throw err; });
process.exitCode = await main(process.argv.slice(2));
