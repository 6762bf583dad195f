// runtime/kubernetes/release-job.ts — the release phase in Kubernetes mode: a Job running the Procfile's
// `release:` command with the new image and config, before any Deployment changes; its output streams into the
// push and a non-zero exit stops the deploy.
import { PaasError } from '../../core/errors.ts';
import { defaultReleaseTimeoutSeconds, releaseTimedOut, type Say } from '../driver.ts';
import type { Kube } from './client.ts';
import { toReleaseJob } from './job-manifests.ts';
import { runJob } from './job-run.ts';
import type { KubeRelease, ManifestSettings } from './manifests.ts';

/**
 * Runs the release command (or an app.json script) as a Job and waits for it; throws E_RELEASE_BOOT_FAILED when it
 * fails or Kubernetes ends it at its deadline (activeDeadlineSeconds, PAAS_RELEASE_TIMEOUT_SECONDS).
 */
export async function runReleaseJob(
  kube: Kube, s: ManifestSettings, r: KubeRelease, command: string, say: Say, label = 'release command', deadlineSeconds = defaultReleaseTimeoutSeconds,
): Promise<void> {
  say(`-----> Running ${label}: ${command}`);
  const started = Date.now();
  let exit: { exitCode: number; reason?: string } | undefined;
  await runJob(kube, toReleaseJob(s, r, command, deadlineSeconds), ['release'], {
    onLine: (_container, line) => say(`       ${line}`),
    onEnd: (_container, end) => { exit = end; return false; },
  }, 'E_RELEASE_BOOT_FAILED');
  if (exit?.exitCode === 0) return;
  // Kubernetes kills the pod at the deadline; what the container reports then (137, 143, DeadlineExceeded) varies.
  if (Date.now() - started >= Math.ceil(deadlineSeconds) * 1000) throw new PaasError('E_RELEASE_BOOT_FAILED', releaseTimedOut(label, deadlineSeconds));
  const why = exit && exit.exitCode >= 0 ? `failed (exit ${exit.exitCode})` : `did not run (${exit?.reason ?? 'unknown reason'})`;
  throw new PaasError('E_RELEASE_BOOT_FAILED', `${label} ${why}`);
}
