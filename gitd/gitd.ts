// gitd/gitd.ts — starts the git service: hooks, the hook socket, the SSH server, and the HTTP routes to mount.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Knex } from 'knex';
import type { Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { PushSessions, startHookServer } from './hook-server.ts';
import { registerGitHttp } from './http-git.ts';
import { registerBuildSource } from './build-source.ts';
import { startRefReconciler } from './ref-reconcile.ts';
import { startSourceDeployer } from './source-deploy.ts';
import { sourceDir } from './source-fetch.ts';
import fs from 'node:fs';
import { hookSocketPath, installHooks, removeRepo } from './repos.ts';
import type ssh2 from 'ssh2';
import type net from 'node:net';
import { createSshServer, loadHostKey, type CommandRunner, type SshDeps } from './ssh-server.ts';
import { createSshGate, type SshGate } from './ssh-gate.ts';
import { appUrl } from '../services/release-spec.ts';
import { attachSshClients } from '../core/metrics/platform-sources.ts';

export interface Gitd {
  /** 0 when this process serves git over HTTP only (the Procfile's web process). */
  sshPort: number;
  hostKeyFingerprint: string;
  /** Pushes in progress in this process. */
  activePushes(): number;
  /** Mounts git smart HTTP and the builder pods' source route on the web server. */
  mountHttp(app: FastifyInstance): Promise<void>;
  stop(): Promise<void>;
}

/** What a process serves: the all-in-one process and `gitd` serve SSH; the all-in-one process and `web` serve HTTP. */
export interface GitdRoles { ssh: boolean; http: boolean }

/** Starts gitd; SSH listens on config.sshPort (0 picks a free port). */
export async function startGitd(db: Knex, bus: Bus, config: Config, log: Logger, runCommand: CommandRunner, roles: GitdRoles = { ssh: true, http: true }): Promise<Gitd> {
  const sessions = new PushSessions();
  const review = { isolation: config.isolation, appUrl: (app: string) => appUrl(config, app) };
  const deps = { db, bus, dataDir: config.dataDir, log, hostEnv: config.hostEnv, appQuotaBytes: config.gitLimits.appQuotaBytes, review };
  installHooks(config.dataDir);
  const hookSocket = hookSocketPath(config.dataDir, roles.ssh ? 'gitd' : 'web');
  const hookServer = await startHookServer(deps, sessions, hookSocket);
  const ssh = roles.ssh ? await listenSsh({ ...deps, sessions, runCommand, hookSocket, leaseSeconds: config.leaseSeconds, limits: config.gitLimits }, config) : undefined;
  const detachSsh = ssh ? attachSshClients(ssh.clients) : () => {};
  const unsub = roles.ssh ? bus.subscribe('paas.app.destroyed', (_s, p) => removeAppFiles(config.dataDir, String(p.app)), { durable: 'gitd-destroys' }) : () => {};
  // One process (the one serving SSH) moves the refs of pushes that deployed after their git process went away.
  // Webhook deploys (paas.source.push) are fetched by the process that owns the repos' SSH side, as destroys are.
  const stopSources = roles.ssh ? startSourceDeployer({
    db, bus, dataDir: config.dataDir, log, PATH: config.hostEnv.PATH, leaseSeconds: config.leaseSeconds, maxFetchBytes: config.gitLimits.maxPushBytes,
    allowPrivate: config.gitSources.allowPrivate,
  }) : () => {};
  const stopReconciler = roles.ssh ? startRefReconciler({ db, dataDir: config.dataDir, log, leaseSeconds: config.leaseSeconds }) : async () => {};
  return {
    sshPort: ssh ? config.endpoints.sshPort : 0,
    hostKeyFingerprint: ssh?.fingerprint ?? '',
    activePushes: () => sessions.size(),
    async mountHttp(app) {
      await registerGitHttp(app, { db, dataDir: config.dataDir, sessions, log, leaseSeconds: config.leaseSeconds, limits: config.gitLimits, hookSocket, hostEnv: config.hostEnv });
      await registerBuildSource(app, { db, dataDir: config.dataDir });
    },
    async stop() {
      unsub();
      stopSources();
      detachSsh();
      await stopReconciler();
      // No new connections; pushes in progress may finish within a grace period. Then what is left (logs -t
      // followers, idle sessions, pushes past the grace) is ended: closing alone would wait for all of it.
      const sshClosed = ssh ? new Promise<void>((r) => ssh.listener.close(() => r())) : Promise.resolve();
      await waitForPushes(sessions, 30_000);
      for (const client of ssh?.clients ?? []) client.end();
      ssh?.gate.dropUnsignedIn();
      await sshClosed;
      hookServer.closeAllConnections();
      await new Promise<void>((r) => hookServer.close(() => r()));
    },
  };
}

/** The SSH server behind its gate (connection caps, handshake timeout): the gate's socket is the one that listens. */
async function listenSsh(deps: SshDeps, config: Config): Promise<{ listener: net.Server; gate: SshGate; fingerprint: string; clients: Set<ssh2.Connection> }> {
  const { key, fingerprint } = loadHostKey(config.dataDir);
  // The gate hands sockets to the server only once it listens, so `server` is set by then.
  const gate = createSshGate((socket) => server.injectSocket(socket), config.gitLimits, deps.log);
  const server = createSshServer(deps, key, gate.signedIn);
  const clients = new Set<ssh2.Connection>();
  server.on('connection', (client) => { clients.add(client); client.once('close', () => clients.delete(client)); });
  const listener = gate.server;
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(config.sshPort, config.host, () => resolve());
  });
  config.endpoints.bind('ssh', (listener.address() as AddressInfo).port); // the effective port when 0 was asked
  return { listener, gate, fingerprint, clients };
}

/** apps:destroy: the app's repo, and its deploy key and known_hosts (webhook deploys) with it. */
function removeAppFiles(dataDir: string, app: string): void {
  removeRepo(dataDir, app);
  fs.rmSync(sourceDir(dataDir, app), { recursive: true, force: true });
}

/** On shutdown, pushes in progress may finish (up to a grace period) before the hook socket closes. */
async function waitForPushes(sessions: PushSessions, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (sessions.size() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}
