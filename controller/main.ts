// controller/main.ts — the Procfile's `controller` process: the pipeline (builds, releases, deploys), the runtime
// driver and, in the local runtime, the apps' router.
import { bootPlatform, runMain, startProbes } from '../core/boot.ts';
import { startController } from './controller.ts';

/** Starts the process; returns what stops it. */
async function main() {
  const p = await bootPlatform('controller', false);
  const controller = await startController(p.db, p.bus, p.config, p.log);
  const probes = await startProbes(p, p.config.controllerHealthPort);
  await p.relay.start();
  process.stdout.write(`paas controller: router on port ${controller.routerPort}; probes on http://localhost:${probes.port}/healthz\n`);
  return { log: p.log, stops: [() => controller.stop(), () => probes.close(), () => p.close()] };
}

runMain('paas controller', main);
