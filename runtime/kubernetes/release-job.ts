// runtime/kubernetes/release-job.ts — the release phase in Kubernetes mode: a Job running the Procfile's
// `release:` command with the new image and config, before any Deployment changes; its output streams into the
// push and a non-zero exit stops the deploy.
import { PaasError } from '../../core/errors.ts';
import type { Say } from '../driver.ts';
import type { Kube } from './client.ts';
import { toReleaseJob } from './job-manifests.ts';
import { runJob } from './job-run.ts';
import type { KubeRelease, ManifestSettings } from './manifests.ts';

/** Runs the release command as a Job and waits for it; throws E_RELEASE_BOOT_FAILED when it fails. */
export async function runReleaseJob(kube: Kube, s: ManifestSettings, r: KubeRelease, command: string, say: Say, label = 'release command'): Promise<void> {
  say(`-----> Running ${label}: ${command}`);
  let exit: { exitCode: number; reason?: string } | undefined;
  await runJob(kube, toReleaseJob(s, r, command), ['release'], {
    onLine: (_container, line) => say(`       ${line}`),
    onEnd: (_container, end) => { exit = end; return false; },
  }, 'E_RELEASE_BOOT_FAILED');
  if (exit?.exitCode === 0) return;
  const why = exit && exit.exitCode >= 0 ? `failed (exit ${exit.exitCode})` : `did not run (${exit?.reason ?? 'unknown reason'})`;
  throw new PaasError('E_RELEASE_BOOT_FAILED', `${label} ${why}`);
}
