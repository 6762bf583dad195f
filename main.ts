// main.ts — `npm start`: the whole platform in one process on embedded defaults (embedded PostgreSQL, in-process
// bus, local runtime behind the Host-header router). Prints where everything is.
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig } from './core/config.ts';
import { createLogger } from './core/logger.ts';
import { openDb } from './core/db/connect.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './core/db/embedded.ts';
import { MemoryBus } from './core/bus.ts';
import { OutboxRelay } from './core/outbox.ts';
import { startGitd } from './gitd/gitd.ts';
import { startController } from './controller/controller.ts';
import { createWeb } from './controller/web.ts';
import { runCommand } from './controller/cli/commands.ts';
import { writeEndpoints } from './core/config.ts';

/** Prepares the data dir; its package.json keeps the platform's own "type": "module" away from app code under it. */
function prepareDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const pkg = path.join(dataDir, 'package.json');
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, '{ "private": true, "type": "commonjs" }\n');
}

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel);
  prepareDataDir(config.dataDir);
  let embedded: EmbeddedDatabase | undefined;
  const url = config.databaseUrl ?? (embedded = await startEmbeddedPostgres(config.dataDir, log.child({ module: 'postgres' }))).url;
  const db = await openDb(url, process.env.PAAS_DB_SCHEMA || 'public');
  const bus = new MemoryBus(log.child({ module: 'bus' }));
  const relay = new OutboxRelay(db, bus, log.child({ module: 'outbox' }));
  const controller = await startController(db, bus, config, log.child({ module: 'controller' }));
  const gitd = await startGitd(db, bus, config, log.child({ module: 'gitd' }), (argv, user, io) => runCommand({
    db, config, actor: { kind: 'user', user }, signal: io.signal,
    out: (l) => io.stdout.write(l + '\n'), err: (l) => io.stderr.write(l + '\n'),
    readStdin: () => readAll(io.stdin),
  }, argv, false, `ssh -p ${config.sshPort} git@${config.baseDomain}`, log));
  const web = await createWeb({ db, config, log, mount: (app) => gitd.mountHttp(app) });
  await web.listen({ port: config.httpPort, host: config.host });
  await relay.start();
  const httpPort = (web.server.address() as AddressInfo).port;
  config.httpPort = httpPort;
  writeEndpoints(config);
  const lines = [
    `paas is running (embedded mode${config.databaseUrl ? ', external PostgreSQL' : ''})`,
    `  HTTP (API, git):  http://localhost:${httpPort}/  (git: http://localhost:${httpPort}/<app>.git)`,
    `  SSH (git, CLI):   ssh://git@localhost:${gitd.sshPort}/<app>.git  host key ${gitd.hostKeyFingerprint}`,
    `  Router (apps):    http://<app>.${config.baseDomain}:${controller.routerPort}/`,
    `  Data dir:         ${config.dataDir}`,
    `  Database:         ${embedded ? `embedded PostgreSQL in ${path.join(config.dataDir, 'postgres')}` : 'DATABASE_URL'}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await web.close();
    await gitd.stop();
    await relay.stop();
    await controller.stop();
    await db.destroy();
    await embedded?.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    stream.on('data', (c: Buffer | string) => { data += c.toString(); });
    stream.on('end', () => resolve(data));
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`paas failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
