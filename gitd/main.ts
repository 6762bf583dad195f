// gitd/main.ts — the Procfile's `gitd` process: git and the CLI over SSH, and the hooks of SSH pushes.
import { bootPlatform, runMain, startProbes } from '../core/boot.ts';
import { sshCommandRunner } from '../cli/ssh-runner.ts';
import { selectOneOff, selectReader } from '../runtime/select.ts';
import { startGitd } from './gitd.ts';

/** Starts the process; returns what stops it. */
async function main() {
  const p = await bootPlatform('gitd', false);
  const reader = await selectReader(p.config, p.db, p.bus);
  const gitd = await startGitd(p.db, p.bus, p.config, p.log, sshCommandRunner(p.db, p.config, p.log, reader, selectOneOff(p.config, p.log)), { ssh: true, http: false });
  const probes = await startProbes(p, p.config.gitdHealthPort);
  await p.relay.start();
  process.stdout.write(`paas gitd: SSH on port ${gitd.sshPort} (host key ${gitd.hostKeyFingerprint}); probes on http://localhost:${probes.port}/healthz\n`);
  return { log: p.log, stops: [() => gitd.stop(), () => probes.close(), () => p.close()] };
}

runMain('paas gitd', main);
