// runtime/docker/with-local.ts — local mode's RuntimeDriver when a Docker Engine answers (PAAS_DOCKER=auto): releases
// built as images (Dockerfile apps) run as containers, slug releases as local processes, behind the one router. An
// app whose release switches side has the other side's processes stopped once the new ones are up. runtime/select.ts builds it.
import { PaasError } from '../../core/errors.ts';
import type { LogOptions, OneOffInput, OneOffRunner, RuntimeDriver, Say } from '../driver.ts';
import type { LocalDriver } from '../local/driver.ts';
import type { ProcessStatus, ReleaseSpec } from '../types.ts';
import type { DockerRuntime } from './runtime.ts';

/** Local processes for slug releases, Docker containers for image releases. */
export class LocalWithDocker implements RuntimeDriver, OneOffRunner {
  /** `local` is a LocalDriver, seen through the RuntimeDriver port (plus its supervisor, for handOver). */
  constructor(private readonly local: RuntimeDriver & Pick<LocalDriver, 'runtime'> & Partial<OneOffRunner>, private readonly docker: DockerRuntime) {}

  /** Deploys on the release's side; the app's processes on the other side go once the new ones serve. */
  async deploy(spec: ReleaseSpec, say: Say, previous?: ReleaseSpec): Promise<void> {
    if (spec.image) {
      await this.docker.deploy(spec, say);
      if (this.local.runtime.status(spec.app).length > 0) {
        await this.local.runtime.handOver(spec.app, say);
        this.docker.resyncRoute(spec.app); // the supervisor's last route sync may have come after ours
      }
      return;
    }
    await this.local.deploy(spec, say, previous);
    await this.docker.handOver(spec.app, say);
  }

  runRelease(spec: ReleaseSpec, command: string, say: Say, previous?: ReleaseSpec, label?: string): Promise<void> {
    return spec.image ? this.docker.runRelease(spec, command, say, previous, label) : this.local.runRelease(spec, command, say, previous, label);
  }

  runOneOff(input: OneOffInput): Promise<number> {
    if (input.spec.image) return this.docker.runOneOff(input);
    if (!this.local.runOneOff) throw new PaasError('E_USAGE', 'One-off processes are not available in local mode yet.');
    return this.local.runOneOff(input);
  }

  restart(app: string, type: string | undefined, say?: Say): Promise<void> {
    return this.docker.has(app) ? this.docker.restart(app, type, say) : this.local.restart(app, type, say);
  }

  scale(app: string, quantities: Record<string, number>, say?: Say): Promise<void> {
    return this.docker.has(app) ? this.docker.scale(app, quantities, say) : this.local.scale(app, quantities, say);
  }

  async status(app: string): Promise<ProcessStatus[]> {
    return [...(await this.local.status(app)), ...(await this.docker.status(app))];
  }

  async statusAll(apps: string[]): Promise<ProcessStatus[]> {
    return [...(await this.local.statusAll(apps)), ...(await this.docker.statusAll(apps))];
  }

  /** Both sides write the same app log file. */
  logs(app: string, opts: LogOptions, out: (line: string) => void): Promise<void> {
    return this.local.logs(app, opts, out);
  }

  /** One router serves both sides. */
  autoscale(app: string, current?: ReleaseSpec): Promise<void> {
    return this.local.autoscale(app, current);
  }

  setDomains(app: string, domains: string[]): Promise<void> {
    return this.local.setDomains(app, domains);
  }

  /** Restores on the release's side, and clears the other side (containers of an app that has since become a slug app). */
  async restore(spec: ReleaseSpec, say: Say): Promise<void> {
    if (spec.image) return this.docker.restore(spec, say);
    await this.local.restore(spec, say);
    await this.docker.handOver(spec.app, say);
  }

  async stop(app: string): Promise<void> {
    await this.local.stop(app);
    await this.docker.stop(app);
  }

  /** Platform shutdown: local processes stop; containers keep running, to be adopted at the next start. */
  async stopAll(): Promise<void> {
    await this.docker.stopAll();
    await this.local.stopAll();
  }
}
