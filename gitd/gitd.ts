// gitd/gitd.ts — starts the git service: hooks, the hook socket, the SSH server, and the HTTP routes to mount.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { PushSessions, startHookServer } from './hook-server.ts';
import { registerGitHttp } from './http-git.ts';
import { hookSocketPath, installHooks, removeRepo } from './repos.ts';
import { createSshServer, loadHostKey, type CommandRunner } from './ssh-server.ts';

export interface Gitd {
  sshPort: number;
  hostKeyFingerprint: string;
  /** Mounts git smart HTTP on the web server. */
  mountHttp(app: FastifyInstance): Promise<void>;
  stop(): Promise<void>;
}

/** Starts gitd; SSH listens on config.sshPort (0 picks a free port). */
export async function startGitd(db: Knex, bus: Bus, config: Config, log: Logger, runCommand: CommandRunner): Promise<Gitd> {
  const sessions = new PushSessions();
  const deps = { db, bus, dataDir: config.dataDir, log };
  installHooks(config.dataDir);
  const hookSocket = hookSocketPath(config.dataDir);
  const hookServer = await startHookServer(deps, sessions, hookSocket);
  const { key, fingerprint } = loadHostKey(config.dataDir);
  const ssh = createSshServer({ ...deps, sessions, runCommand, hookSocket }, key);
  await new Promise<void>((resolve, reject) => {
    ssh.once('error', reject);
    ssh.listen(config.sshPort, config.host, () => resolve());
  });
  config.sshPort = (ssh.address() as AddressInfo).port; // the effective port when 0 was asked
  const unsub = bus.subscribe('paas.app.destroyed', (_s, p) => removeRepo(config.dataDir, String(p.app)));
  return {
    sshPort: config.sshPort,
    hostKeyFingerprint: fingerprint,
    mountHttp: (app) => registerGitHttp(app, { db, dataDir: config.dataDir, sessions, log }),
    async stop() {
      unsub();
      await new Promise<void>((r) => ssh.close(() => r()));
      await new Promise<void>((r) => hookServer.close(() => r()));
    },
  };
}
