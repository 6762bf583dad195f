// web/main.ts — the Procfile's `web` process: the JSON API, the dashboard, and git over HTTP.
import type { AddressInfo } from 'node:net';
import { issueSetupToken, setupBanner } from '../core/accounts/invites.ts';
import { bootPlatform, runMain } from '../core/boot.ts';
import { startGitd } from '../gitd/gitd.ts';
import { sshCommandRunner } from '../cli/ssh-runner.ts';
import { selectReader } from '../runtime/select.ts';
import { createWeb } from './web.ts';

/** Starts the process; returns what stops it. */
async function main() {
  const p = await bootPlatform('web', false);
  const reader = await selectReader(p.config, p.db, p.bus);
  const gitd = await startGitd(p.db, p.bus, p.config, p.log, sshCommandRunner(p.db, p.config, p.log, reader), { ssh: false, http: true });
  const web = await createWeb({ db: p.db, config: p.config, log: p.log, bus: p.bus, reader, mount: (app) => gitd.mountHttp(app) });
  await web.listen({ port: p.config.httpPort, host: p.config.host });
  await p.relay.start();
  const port = (web.server.address() as AddressInfo).port;
  p.config.endpoints.bind('http', port);
  const setup = await issueSetupToken(p.db);
  process.stdout.write(`paas web: HTTP (API, git) on http://localhost:${port}/; probes at /healthz and /readyz\n`
    + (setup ? `${setupBanner(p.config, setup)}\n` : ''));
  return { log: p.log, stops: [() => web.close(), () => gitd.stop(), () => p.close()] };
}

runMain('paas web', main);
