// controller/main.ts — the Procfile's `controller` process: the pipeline (builds, releases, deploys), the runtime
// driver and, in the local runtime, the apps' router.
import { bootPlatform, onShutdown, startProbes } from '../core/boot.ts';
import { startController } from './controller.ts';

async function main(): Promise<void> {
  const p = await bootPlatform('controller', false);
  const controller = await startController(p.db, p.bus, p.config, p.log);
  const probes = await startProbes(p, p.config.controllerHealthPort);
  await p.relay.start();
  process.stdout.write(`paas controller: router on port ${controller.routerPort}; probes on http://localhost:${probes.port}/healthz\n`);
  onShutdown(p.log, async () => {
    await controller.stop();
    await probes.close();
    await p.close();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`paas controller failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
