// runtime/local/driver.ts — the embedded mode's RuntimeDriver: the Supervisor (processes behind the
// router), the release phase as a local process, and logs from the app's log file.
import { runStep } from '../../builders/run-step.ts';
import { PaasError } from '../../core/errors.ts';
import { autoscaleUnavailable, defaultReleaseTimeoutSeconds, releaseTimedOut, type LogOptions, type RuntimeDriver, type Say } from '../driver.ts';
import type { Supervisor } from './supervisor.ts';
import { followLogFile } from './log-file.ts';
import { releaseProcessContext } from './release-process.ts';
import type { Router } from '../router.ts';
import type { ProcessStatus, ReleaseSpec } from '../types.ts';

export class LocalDriver implements RuntimeDriver {
  constructor(
    readonly runtime: Supervisor, private router: Router, private logFile: (app: string) => string,
    private releaseTimeoutSeconds = defaultReleaseTimeoutSeconds,
  ) {}

  /** Zero-downtime deploy; on failure the previous release never stopped serving, so there is nothing to roll back. */
  async deploy(spec: ReleaseSpec, say: Say): Promise<void> {
    if (!spec.slugDir) throw new PaasError('E_RELEASE_BOOT_FAILED', `v${spec.version} was built as an image (Kubernetes mode) and has no slug here; push again`);
    return this.runtime.deploy(spec, say);
  }

  /** Runs the Procfile's release command with the new release's environment; a non-zero exit stops the deploy. */
  async runRelease(spec: ReleaseSpec, command: string, say: Say, _previous?: ReleaseSpec, label = 'release command'): Promise<void> {
    say(`-----> Running ${label}: ${command}`);
    // In its sandbox, as the app's uid, with the slug at /app (Dokku's `touch /app/release.test` works).
    const ctx = await releaseProcessContext(this.runtime.jail, this.runtime.baseEnv, spec, 'release.1');
    // Procfile commands are shell commands by definition; the argv array keeps us from building a shell string.
    await runStep({ ...ctx, say }, {
      name: label,
      argv: ['/bin/sh', '-c', command],
      missingTool: `${label} could not start: /bin/sh is missing`,
      errorCode: 'E_RELEASE_BOOT_FAILED',
      timeout: { ms: this.releaseTimeoutSeconds * 1000, message: releaseTimedOut(label, this.releaseTimeoutSeconds) },
    });
  }

  /** ps:restart: web without downtime, other types stopped then started (Supervisor.restart). */
  restart(app: string, type: string | undefined, say?: Say): Promise<void> {
    return this.runtime.restart(app, type, say);
  }

  scale(app: string, quantities: Record<string, number>, say?: Say): Promise<void> {
    return this.runtime.scale(app, quantities, say);
  }

  async status(app: string): Promise<ProcessStatus[]> {
    return this.runtime.status(app);
  }

  async statusAll(apps: string[]): Promise<ProcessStatus[]> {
    return apps.flatMap((app) => this.runtime.status(app));
  }

  logs(app: string, opts: LogOptions, out: (line: string) => void): Promise<void> {
    return followLogFile(this.logFile(app), opts, out);
  }

  /** No autoscaler runs apps here (the service refuses ps:autoscale before this). */
  async autoscale(): Promise<void> {
    throw autoscaleUnavailable('local');
  }

  async setDomains(app: string, domains: string[]): Promise<void> {
    this.router.setDomains(app, domains);
  }

  restore(spec: ReleaseSpec, say: Say): Promise<void> {
    return this.deploy(spec, say);
  }

  async stop(app: string): Promise<void> {
    this.router.setDomains(app, []); // an app later created under this name must not inherit its domains
    await this.runtime.stop(app);
    this.router.forgetApp(app); // nor its traffic counters (after the route is gone, so no request counts again)
  }

  async stopAll(): Promise<void> {
    await this.runtime.stopAll();
    await this.router.close();
  }
}
