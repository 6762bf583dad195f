// runtime/local/supervisor.ts — runs each release's Procfile processes on this host behind the Router (start, boot check, switch, drain, scale); the local driver (driver.ts) wraps it.
import { PaasError } from '../../core/errors.ts';
import type { Say } from '../../core/say.ts';
import { AppLog } from './app-log.ts';
import { bootWeb, checkType, startOthers, type Starter } from './boot.ts';
import { Instance } from './instance.ts';
import { indexesToAdd, restartPolicy, type RestartPolicy } from './process-policy.ts';
import { Jail } from './jail.ts';
import { findFreePort } from '../../core/net.ts';
import { AppQueue } from '../app-queue.ts';
import type { Router } from '../router.ts';
import type { LogSink, ProcessStatus, ReleaseSpec } from '../types.ts';
import { attr, withSpan } from '../../core/tracing.ts';

export { ReleaseBootError } from '../boot-error.ts';
export { indexesToAdd } from './process-policy.ts';

export interface SupervisorOptions {
  /** Per-app log files: <logDir>/<app>.log, appended. */
  logDir: string;
  onLog?: LogSink;
  router: Router;
  /** How long a new web process has to answer HTTP; default 60000. */
  bootTimeoutMs?: number;
  /** Between SIGTERM and SIGKILL when stopping; default 10000. */
  graceMs?: number;
  /** Base env incl. PATH, HOME; the only environment processes inherit from the platform. */
  baseEnv: Record<string, string>;
  /** Where processes run: per-app sandboxes or, single-tenant, plain child processes (the default, for unit tests). */
  jail?: Jail;
  /** Restart backoff and the crashes in a row before giving up; default process-policy.ts restartPolicy (tests shorten it). */
  restartPolicy?: Partial<RestartPolicy>;
  /** How long a deploy or scale watches a new non-web process before saying it runs; default 1000. */
  settleMs?: number;
}

interface AppState {
  release: ReleaseSpec;
  instances: Instance[];
}

/** The same rule as the controller's app-name check; repeated here because the name becomes a log file path. */
const appNamePattern = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Runs releases as local process groups; deploys are zero-downtime (new web up and routed before the old one stops). */
export class Supervisor {
  private readonly apps = new Map<string, AppState>();
  /** Every instance not yet stopped, whether current, booting or being retired. */
  private readonly live = new Set<Instance>();
  private readonly ports = new Set<number>();
  private readonly queue = new AppQueue();
  private readonly log: AppLog;
  private readonly router: Router;
  private readonly bootTimeoutMs: number;
  private readonly graceMs: number;
  private readonly policy: RestartPolicy;
  private readonly settleMs: number;
  private closed = false;
  private readonly jailUsed: Jail;
  private readonly starter: Starter;

  constructor(private readonly opts: SupervisorOptions) {
    this.log = new AppLog(opts.logDir, opts.onLog);
    this.router = opts.router;
    this.bootTimeoutMs = opts.bootTimeoutMs ?? 60_000;
    this.graceMs = opts.graceMs ?? 10_000;
    this.policy = { ...restartPolicy, ...opts.restartPolicy };
    this.settleMs = opts.settleMs ?? 1000;
    this.jailUsed = opts.jail ?? Jail.plain();
    this.starter = { newInstance: (...args) => this.newInstance(...args), stopInstances: (i) => this.stopInstances(i), settleMs: this.settleMs };
  }

  /** Where processes run; the release phase runs there too. */
  get jail(): Jail {
    return this.jailUsed;
  }

  /** The base environment every process of every app starts from (the release phase uses it too). */
  get baseEnv(): Record<string, string> {
    return this.opts.baseEnv;
  }

  /**
   * Zero-downtime deploy: boots the new web processes, routes to them, then stops the old release and starts the other types.
   * Throws ReleaseBootError (E_RELEASE_BOOT_FAILED, with `lastLines`) and leaves the old release serving when web does not come up.
   */
  async deploy(spec: ReleaseSpec, say: Say): Promise<void> {
    if (!appNamePattern.test(spec.app)) throw new PaasError('E_APP_NAME_INVALID', `Not a valid app name: ${spec.app}`);
    const release: ReleaseSpec = { ...spec, processes: spec.processes.map((p) => ({ ...p })) };
    return this.serialize(spec.app, () => this.deployRelease(release, say));
  }

  /** Changes instance counts of the current release; web scale-up waits for health like deploy. */
  scale(app: string, quantities: Record<string, number>, say: Say = () => {}): Promise<void> {
    return this.serialize(app, () => this.scaleApp(app, quantities, say));
  }

  /**
   * ps:restart of the current release (all types, or one): web as a deploy of the same release (new instances boot
   * and are routed before the old ones drain and stop), other types stopped then started; instances that gave up
   * after a crash loop come back. A new web that does not boot is ReleaseBootError, and the old web keeps serving.
   */
  restart(app: string, type: string | undefined, say: Say = () => {}): Promise<void> {
    return this.serialize(app, () => this.restartApp(app, type, say));
  }

  /** Every live instance of the app (including ones booting or stopping during a deploy), ordered by version, type, index. */
  status(app: string): ProcessStatus[] {
    return [...this.live]
      .filter((i) => i.app === app)
      .sort((a, b) => a.version - b.version || a.type.localeCompare(b.type) || a.index - b.index)
      .map((i) => ({
        app: i.app, type: i.type, index: i.index, version: i.version, pid: i.pid, startTicks: i.startTicks, port: i.port,
        state: i.state, restarts: i.restarts, since: i.since, reason: i.reason,
      }));
  }

  /** Stops every process of the app and removes its route. */
  stop(app: string): Promise<void> {
    return this.serialize(app, async () => {
      this.apps.delete(app);
      this.router.removeRoute(app);
      await this.stopInstances([...this.live].filter((i) => i.app === app));
      await this.log.close(app);
    });
  }

  /** Drains and stops the app's processes, leaving its route alone: Docker runs the app now (local mode with an Engine). */
  handOver(app: string, say: Say = () => {}): Promise<void> {
    return this.serialize(app, async () => {
      const state = this.apps.get(app);
      this.apps.delete(app);
      if (state) await this.retire(state.instances, `v${state.release.version} (now run by Docker)`, say);
    });
  }

  /** Platform shutdown: SIGTERM everything, SIGKILL after graceMs; does not wait for deploys in progress. */
  async stopAll(): Promise<void> {
    this.closed = true;
    for (const app of this.apps.keys()) this.router.removeRoute(app);
    this.apps.clear();
    await this.stopInstances([...this.live]);
    await this.log.closeAll();
  }

  private async deployRelease(release: ReleaseSpec, say: Say): Promise<void> {
    await this.jailUsed.adopt(release.slugDir, release.uid); // a slug built before sandboxes is root's
    const previous = this.apps.get(release.app);
    const next: AppState = { release, instances: [] };
    const web = release.processes.find((p) => p.type === 'web');
    if (web) next.instances = await bootWeb(this.starter, release, indexesToAdd([], web.quantity), say);
    const span = { [attr.app]: release.app, [attr.releaseVersion]: release.version };
    await withSpan('route switch', span, async () => {
      this.apps.set(release.app, next);
      this.syncRoute(release.app);
    });
    if (web) say(`-----> Routing ${release.app} to v${release.version}`);
    if (previous) await withSpan('stop previous', span, () => this.retire(previous.instances, `v${previous.release.version}`, say));
    for (const proc of release.processes.filter((p) => p.type !== 'web')) {
      next.instances.push(...(await startOthers(this.starter, release, proc.type, indexesToAdd([], proc.quantity), say)));
    }
  }

  private running(app: string): AppState {
    const state = this.apps.get(app);
    if (!state) throw new PaasError('E_NO_RELEASE', `${app} has no running release.`);
    return state;
  }

  private async scaleApp(app: string, quantities: Record<string, number>, say: Say): Promise<void> {
    const state = this.running(app);
    for (const [type, quantity] of Object.entries(quantities)) {
      checkType(state.release, type);
      if (!Number.isInteger(quantity) || quantity < 0) throw new PaasError('E_USAGE', `${type}=${quantity}: quantity must be a whole number >= 0.`);
    }
    for (const [type, quantity] of Object.entries(quantities)) await this.scaleType(state, type, quantity, say);
  }

  private async restartApp(app: string, type: string | undefined, say: Say): Promise<void> {
    const state = this.running(app);
    const { release } = state;
    if (type !== undefined) checkType(release, type);
    this.log.write(app, 'paas', `restarting ${type === undefined ? 'every process' : `the ${type} processes`} of v${release.version} (ps:restart)`);
    for (const proc of release.processes.filter((p) => type === undefined || p.type === type)) {
      const old = state.instances.filter((i) => i.type === proc.type);
      const indexes = indexesToAdd([], proc.quantity);
      if (proc.type !== 'web') {
        state.instances = state.instances.filter((i) => !old.includes(i));
        await this.retire(old, `${proc.type} processes`, say);
        state.instances.push(...(await startOthers(this.starter, release, proc.type, indexes, say)));
        continue;
      }
      const fresh = await bootWeb(this.starter, release, indexes, say).catch((err: Error) => {
        this.log.write(app, 'paas', `restart failed: ${err.message}; the running web processes keep serving`);
        throw err;
      });
      state.instances = [...state.instances.filter((i) => !old.includes(i)), ...fresh];
      this.syncRoute(app);
      await this.retire(old, 'the old web processes', say);
    }
  }

  private async scaleType(state: AppState, type: string, quantity: number, say: Say): Promise<void> {
    const current = state.instances.filter((i) => i.type === type).sort((a, b) => a.index - b.index);
    const { release } = state;
    if (current.length > quantity) {
      const extra = current.slice(quantity);
      state.instances = state.instances.filter((i) => !extra.includes(i));
      this.syncRoute(release.app);
      await this.retire(extra, `${extra.length} ${type} process${extra.length > 1 ? 'es' : ''}`, say);
    } else if (current.length < quantity) {
      const indexes = indexesToAdd(current.map((i) => i.index), quantity);
      const added = type === 'web' ? await bootWeb(this.starter, release, indexes, say) : await startOthers(this.starter, release, type, indexes, say);
      state.instances.push(...added);
      this.syncRoute(release.app);
    }
    const proc = release.processes.find((p) => p.type === type);
    if (proc) proc.quantity = quantity;
  }

  /** Takes instances out of service: waits for their in-flight requests (up to graceMs), then stops them. */
  private async retire(instances: Instance[], what: string, say: Say): Promise<void> {
    if (instances.length === 0) return;
    say(`-----> Stopping ${what}`);
    const ports = instances.flatMap((i) => (i.type === 'web' && i.port !== undefined ? [i.port] : []));
    await this.router.drain(ports, this.graceMs);
    await this.stopInstances(instances);
  }

  private async stopInstances(instances: Instance[]): Promise<void> {
    await Promise.all(
      instances.map(async (instance) => {
        await instance.stop();
        this.live.delete(instance);
      }),
    );
  }

  private newInstance(release: ReleaseSpec, type: string, index: number, command: string): Instance {
    if (this.closed) throw new PaasError('E_INTERNAL', 'The runtime is shutting down; no new processes are started.');
    const instance = new Instance(
      {
        release,
        baseEnv: this.opts.baseEnv,
        bootTimeoutMs: this.bootTimeoutMs,
        graceMs: this.graceMs,
        policy: this.policy,
        log: this.log,
        jail: this.jailUsed,
        allocatePort: () => this.allocatePort(),
        releasePort: (port) => this.ports.delete(port),
        onChange: (changed) => this.onInstanceChange(changed),
      },
      type,
      index,
      command,
    );
    this.live.add(instance);
    return instance;
  }

  /** A free port no other instance of ours holds (the kernel may hand out a port we reserved but that is not bound yet). */
  private async allocatePort(): Promise<number> {
    for (;;) {
      const port = await findFreePort();
      if (!this.ports.has(port)) {
        this.ports.add(port);
        return port;
      }
    }
  }

  private onInstanceChange(instance: Instance): void {
    if (instance.type === 'web' && this.apps.get(instance.app)?.instances.includes(instance)) this.syncRoute(instance.app);
  }

  /** Points the router at the current release's web instances that are up (none -> 503; no web type -> no route). */
  private syncRoute(app: string): void {
    const state = this.apps.get(app);
    if (!state || !state.release.processes.some((p) => p.type === 'web')) {
      this.router.removeRoute(app);
      return;
    }
    const up = state.instances.filter((i) => i.type === 'web' && i.state === 'up' && i.port !== undefined);
    this.router.setRoute(app, up.map((i) => i.port as number));
  }

  /** Runs fn after every earlier operation on the same app, so they never interleave. */
  private serialize(app: string, fn: () => Promise<void>): Promise<void> {
    return this.queue.run(app, fn);
  }
}
