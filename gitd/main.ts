// gitd/main.ts — the Procfile's `gitd` process: git and the CLI over SSH, and the hooks of SSH pushes.
import { bootPlatform, onShutdown, startProbes } from '../core/boot.ts';
import { sshCommandRunner } from '../cli/ssh-runner.ts';
import { selectReader } from '../runtime/select.ts';
import { startGitd } from './gitd.ts';

async function main(): Promise<void> {
  const p = await bootPlatform('gitd', false);
  const reader = await selectReader(p.config, p.db, p.bus);
  const gitd = await startGitd(p.db, p.bus, p.config, p.log, sshCommandRunner(p.db, p.config, p.log, reader), { ssh: true, http: false });
  const probes = await startProbes(p, p.config.gitdHealthPort);
  await p.relay.start();
  process.stdout.write(`paas gitd: SSH on port ${gitd.sshPort} (host key ${gitd.hostKeyFingerprint}); probes on http://localhost:${probes.port}/healthz\n`);
  onShutdown(p.log, async () => {
    await gitd.stop();
    await probes.close();
    await p.close();
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`paas gitd failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
