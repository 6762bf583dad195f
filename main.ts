// main.ts — `npm start`: the whole platform in one process on embedded defaults (embedded PostgreSQL, in-process
// bus, local runtime behind the Host-header router). Prints where everything is. With DATABASE_URL and NATS_URL
// the same process uses them instead; the Procfile runs web, gitd and controller as separate processes.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { dashboardUrl, issueSetupToken, setupBanner } from './core/accounts/invites.ts';
import { bootPlatform, runMain } from './core/boot.ts';
import { writeEndpoints } from './core/endpoints.ts';
import { startGitd } from './gitd/gitd.ts';
import { startController } from './controller/controller.ts';
import { createWeb } from './web/web.ts';
import { sshCommandRunner } from './cli/ssh-runner.ts';
import { selectOneOff, selectReader } from './runtime/select.ts';
import { describeIsolation } from './core/isolation.ts';
import type { Config } from './core/config.ts';

/** The banner's HTTPS lines: the router's TLS port, where its certificates come from, and the platform's own host. */
function httpsLines(config: Config): string[] {
  const port = config.endpoints.routerTlsPort;
  if (port === undefined || config.edge !== 'router') return [];
  const suffix = port === 443 ? '' : `:${port}`;
  return [
    `  Router (HTTPS):   https://<app>.${config.baseDomain}${suffix}/  certificates: ${config.acme ? `ACME (${config.acme.directory}) and uploaded` : 'uploaded only (set PAAS_ACME_EMAIL for automatic ones)'}`,
    ...(config.platformDomain ? [`  Dashboard:        ${dashboardUrl(config)}/  (HTTPS through the router)`] : []),
  ];
}

/** Starts the process; returns what stops it. */
async function main() {
  const p = await bootPlatform('all', true);
  const { config, db, bus, log } = p;
  const controller = await startController(db, bus, config, log.child({ module: 'controller' }));
  const reader = await selectReader(config, db, bus);
  const gitd = await startGitd(db, bus, config, log.child({ module: 'gitd' }), sshCommandRunner(db, config, log, reader, selectOneOff(config, log)));
  const web = await createWeb({ db, config, log, bus, reader, mount: (app) => gitd.mountHttp(app) });
  await web.listen({ port: config.httpPort, host: config.host });
  await p.relay.start();
  config.endpoints.bind('http', (web.server.address() as AddressInfo).port);
  controller.webListening();
  writeEndpoints(config.dataDir, config.endpoints);
  const setup = await issueSetupToken(db); // a fresh install's one-time link to create the first admin
  const lines = [
    `paas is running (${config.natsUrl ? 'NATS' : 'embedded'} mode${config.databaseUrl ? ', external PostgreSQL' : ''})`,
    `  HTTP (API, git):  http://localhost:${config.endpoints.httpPort}/  (git: http://localhost:${config.endpoints.httpPort}/<app>.git)`,
    `  SSH (git, CLI):   ssh://git@localhost:${gitd.sshPort}/<app>.git  host key ${gitd.hostKeyFingerprint}`,
    `  Router (apps):    http://<app>.${config.baseDomain}:${controller.routerPort}/`,
    ...httpsLines(config),
    ...(setup ? [setupBanner(config, setup)] : []),
    `  Data dir:         ${config.dataDir}`,
    `  Database:         ${p.embedded ? `embedded PostgreSQL in ${path.join(config.dataDir, 'postgres')}` : 'DATABASE_URL'}`,
    `  Apps run as:      ${APPS_RUN_AS[config.mode]}`,
    `  Isolation:        ${describeIsolation(config.isolation)}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return { log: log, stops: [() => web.close(), () => gitd.stop(), () => controller.stop(), () => p.close()] };
}

/** What the banner says of each mode (PAAS_RUNTIME). */
const APPS_RUN_AS = {
  local: 'local processes behind the router (PAAS_RUNTIME=local)',
  docker: 'containers on the Docker Engine, behind the router (PAAS_RUNTIME=docker)',
  kubernetes: 'Kubernetes workloads (PAAS_RUNTIME=kubernetes)',
} as const;

runMain('paas', main);
