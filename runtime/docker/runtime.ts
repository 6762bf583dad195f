// runtime/docker/runtime.ts — Docker mode's RuntimeDriver and OneOffRunner: one container per process instance,
// behind the router (web published on 127.0.0.1), deployed without downtime as local mode does; the release phase and
// `run` as one-off containers; status from the Engine; logs into the app's log file. runtime/select.ts builds it.
import path from 'node:path';
import type Docker from 'dockerode';
import { PaasError } from '../../core/errors.ts';
import { autoscaleUnavailable, defaultReleaseTimeoutSeconds, releaseTimedOut, type LogOptions, type OneOffInput, type OneOffRunner, type RuntimeDriver, type Say } from '../driver.ts';
import { AppLog } from '../local/app-log.ts';
import { appLogFile, followLogFile, lastLogLines } from '../local/log-file.ts';
import { indexesToAdd } from '../local/supervisor.ts';
import type { Router } from '../router.ts';
import type { LogSink, ProcessStatus, ReleaseSpec } from '../types.ts';
import { planAdoption } from './adopt.ts';
import { DEFAULT_MAX_RESTARTS, hostPortOf, listOwn, removeContainer, toInnerPort, type ContainerLimits } from './containers.ts';
import { LogFollowers } from './logs.ts';
import { imageRepo, labels, platformId } from './names.ts';
import { DockerOneOffs, runContainerOnce } from './one-off.ts';
import { bootWeb, removeNow, retire, startOthers, type Proc, type StepContext } from './processes.ts';
import { ProcessTable, type AppState } from './process-table.ts';
import { byProcess, toProcessStatus } from './status.ts';
import { attr, withSpan } from '../../core/tracing.ts';

export interface DockerRuntimeOptions {
  docker: Docker;
  /** The platform's data dir: its id in the Engine (names.ts platformId) and where app logs are written. */
  dataDir: string;
  router: Router;
  limits: ContainerLimits;
  /** How long a new web container has to answer (without app.json startup checks); default 60000. */
  bootTimeoutMs?: number;
  /** Drain time at the router, and SIGTERM → SIGKILL when a container stops; default 10000. */
  graceMs?: number;
  /** PAAS_RELEASE_TIMEOUT_SECONDS: the release command's and app.json scripts' deadline; default 1800. */
  releaseTimeoutSeconds?: number;
  /** How long a `run` may take (config.oneOff): restore removes one-off containers older than that. Default 1 h. */
  runTimeoutMs?: number;
  /** The on-failure policy's tries (default 10, Dokku's); tests use fewer. */
  maxRestarts?: number;
  onLog?: LogSink;
}

/** Runs each release's processes as containers of this host's Docker Engine. */
export class DockerRuntime implements RuntimeDriver, OneOffRunner {
  readonly platform: string;
  private readonly table: ProcessTable;
  private readonly ctx: StepContext;
  private readonly log: AppLog;
  private readonly followers: LogFollowers;
  private readonly oneOffs: DockerOneOffs;

  constructor(private readonly opts: DockerRuntimeOptions) {
    this.platform = platformId(opts.dataDir);
    this.oneOffs = new DockerOneOffs(opts.docker, this.platform, opts.limits);
    this.log = new AppLog(path.dirname(appLogFile(opts.dataDir, 'x')), opts.onLog);
    this.followers = new LogFollowers(opts.docker, this.log, (id) => void this.table.refreshPort(id));
    this.ctx = {
      docker: opts.docker, platform: this.platform, limits: opts.limits, maxRestarts: opts.maxRestarts ?? DEFAULT_MAX_RESTARTS,
      bootTimeoutMs: opts.bootTimeoutMs ?? 60_000, graceMs: opts.graceMs ?? 10_000, router: opts.router,
      followers: this.followers, log: this.log, phases: new Map(), innerPort: (image) => this.innerPort(image),
    };
    this.table = new ProcessTable(opts.docker, opts.router);
  }

  /** Zero-downtime deploy: new web containers answer, the route switches, the old release drains and goes, then the other types start. */
  deploy(spec: ReleaseSpec, say: Say): Promise<void> {
    const release = checkedRelease(spec);
    return this.table.serialize(spec.app, () => this.deployRelease(release, say));
  }

  /** The release command in a one-off container of the new image, its output in the push; a non-zero exit stops the deploy. */
  async runRelease(spec: ReleaseSpec, command: string, say: Say, _previous?: ReleaseSpec, label = 'release command'): Promise<void> {
    say(`-----> Running ${label}: ${command}`);
    const seconds = this.opts.releaseTimeoutSeconds ?? defaultReleaseTimeoutSeconds;
    const deadline = AbortSignal.timeout(seconds * 1000);
    const code = await runContainerOnce(this.opts.docker, {
      plan: this.oneOffPlan(checkedRelease(spec), 'release', command, {}), onLine: (line) => say(`       ${line}`), signal: deadline,
    });
    if (code !== 0 && deadline.aborted) throw new PaasError('E_RELEASE_BOOT_FAILED', releaseTimedOut(label, seconds));
    if (code !== 0) throw new PaasError('E_RELEASE_BOOT_FAILED', `${label} failed (exit ${code})`);
  }

  /** `run APP CMD…`: a one-off container of the live release's image and env; resolves with its exit code. */
  runOneOff(input: OneOffInput): Promise<number> {
    return this.oneOffs.runOneOff({ ...input, spec: checkedRelease(input.spec) });
  }

  /** ps:restart: new containers replace the old ones; web without downtime (the new ones answer before the old ones go). */
  restart(app: string, type: string | undefined, say: Say = () => {}): Promise<void> {
    return this.table.serialize(app, async () => {
      const state = this.table.current(app);
      const types = type ? [type] : [...new Set(state.procs.map((p) => p.type))].sort((a, b) => Number(b === 'web') - Number(a === 'web'));
      if (type && !state.release.processes.some((p) => p.type === type)) throw unknownType(state, type);
      const suffix = `-r${Date.now().toString(36)}`; // the new containers live beside the old ones for a moment
      for (const t of types) {
        const old = state.procs.filter((p) => p.type === t);
        if (t !== 'web') {
          await retire(this.ctx, app, old, `${t} (restart)`, say);
          state.procs = state.procs.filter((p) => !old.includes(p)); // gone, whether or not the new ones start
        }
        const indexes = old.map((p) => p.index);
        const fresh = t === 'web' ? await bootWeb(this.ctx, state.release, indexes, say, suffix) : await startOthers(this.ctx, state.release, t, indexes, say, suffix);
        state.procs = [...state.procs.filter((p) => !old.includes(p)), ...fresh];
        this.table.syncRoute(app);
        if (t === 'web') await retire(this.ctx, app, old, 'the old web processes', say);
      }
    });
  }

  /** Changes instance counts of the current release; web scale-up waits for the startup check, as deploy does. */
  scale(app: string, quantities: Record<string, number>, say: Say = () => {}): Promise<void> {
    return this.table.serialize(app, async () => {
      const state = this.table.current(app);
      for (const [type, quantity] of Object.entries(quantities)) {
        if (!state.release.processes.some((p) => p.type === type)) throw unknownType(state, type);
        if (!Number.isInteger(quantity) || quantity < 0) throw new PaasError('E_USAGE', `${type}=${quantity}: quantity must be a whole number >= 0.`);
      }
      for (const [type, quantity] of Object.entries(quantities)) await this.scaleType(state, type, quantity, say);
    });
  }

  /** The app's containers as the Engine sees them (ps). */
  async status(app: string): Promise<ProcessStatus[]> {
    return this.statusAll([app]);
  }

  /** Every process container of these apps: one list call, then each container's details; routes follow moved ports. */
  async statusAll(apps: string[]): Promise<ProcessStatus[]> {
    const wanted = new Set(apps);
    const found = (await listOwn(this.opts.docker, this.platform, { roles: ['process'] })).filter((c) => wanted.has(c.Labels[labels.app] ?? ''));
    const infos = (await Promise.all(found.map((c) => this.opts.docker.getContainer(c.Id).inspect().catch(() => undefined))))
      .filter((i): i is Docker.ContainerInspectInfo => i !== undefined);
    for (const info of infos) this.table.notePort(info);
    return infos.map((i) => toProcessStatus(i, this.ctx.phases.get(i.Id))).sort(byProcess);
  }

  logs(app: string, opts: LogOptions, out: (line: string) => void): Promise<void> {
    return followLogFile(appLogFile(this.opts.dataDir, app), opts, out);
  }

  /** No autoscaler runs apps here (the service refuses ps:autoscale before this). */
  async autoscale(): Promise<void> {
    throw autoscaleUnavailable('docker');
  }

  async setDomains(app: string, domains: string[]): Promise<void> {
    this.opts.router.setDomains(app, domains);
  }

  /** After a platform restart: adopts the live release's running containers, removes the rest, starts what is missing. */
  restore(spec: ReleaseSpec, say: Say): Promise<void> {
    const release = checkedRelease(spec);
    return this.table.serialize(spec.app, async () => {
      // A deploy of this release or a newer one already ran in this process (the restore came late): it stands.
      if ((this.table.get(spec.app)?.release.version ?? 0) >= spec.version) return;
      const { keep, remove } = planAdoption(await listOwn(this.opts.docker, this.platform, { app: spec.app }), release, this.opts.runTimeoutMs ?? 3600_000);
      await removeNow(this.ctx, remove.map((c) => ({ id: c.Id })));
      const since = lastLogLines(appLogFile(this.opts.dataDir, spec.app), 1)[0]?.split(' ')[0];
      const procs = await Promise.all(keep.map((c) => this.adopt(c, since, say)));
      const state: AppState = { release, procs };
      this.table.set(spec.app, state);
      this.table.syncRoute(spec.app);
      for (const proc of release.processes) await this.scaleType(state, proc.type, proc.quantity, say);
    });
  }

  /** apps:destroy: the app's containers (of every role), its images, and volumes labelled with it. */
  stop(app: string): Promise<void> {
    return this.table.serialize(app, async () => {
      this.table.delete(app);
      this.opts.router.setDomains(app, []); // an app later created under this name must not inherit its domains
      this.opts.router.removeRoute(app);
      this.opts.router.forgetApp(app); // nor its traffic counters
      const own = await listOwn(this.opts.docker, this.platform, { app });
      for (const c of own) { this.followers.unfollow(c.Id); this.ctx.phases.delete(c.Id); }
      await Promise.all(own.map((c) => removeContainer(this.opts.docker, c.Id)));
      await this.removeImages(app);
      const { Volumes } = await this.opts.docker.listVolumes({ filters: { label: [`${labels.platform}=${this.platform}`, `${labels.app}=${app}`] } });
      await Promise.all((Volumes ?? []).map((v) => this.opts.docker.getVolume(v.Name).remove().catch(() => undefined)));
      await this.log.close(app);
    });
  }

  /** Whether a release of the app runs here (local mode with Docker: which side an app is on). */
  has(app: string): boolean {
    return this.table.get(app) !== undefined;
  }

  /** Points the router at the app's web containers again (after the other side of local mode dropped its route). */
  resyncRoute(app: string): void {
    this.table.syncRoute(app);
  }

  /**
   * Removes the app's process containers without touching its route, domains or images: the local runtime serves the
   * app now (its release switched from an image to a slug). Their in-flight requests drain first.
   */
  handOver(app: string, say: Say = () => {}): Promise<void> {
    return this.table.serialize(app, async () => {
      const state = this.table.get(app);
      this.table.delete(app);
      const known = new Set(state?.procs.map((p) => p.id));
      const others = (await listOwn(this.opts.docker, this.platform, { app })).filter((c) => !known.has(c.Id));
      if (state) await retire(this.ctx, app, state.procs, `v${state.release.version} (now run locally)`, say);
      await removeNow(this.ctx, others.map((c) => ({ id: c.Id })));
    });
  }

  /** Platform shutdown: stops following logs and routing; the containers keep running, and the next start adopts them. */
  async stopAll(): Promise<void> {
    this.followers.unfollowAll();
    this.table.clear();
    await this.log.closeAll();
    await this.opts.router.close();
  }

  private async deployRelease(release: ReleaseSpec, say: Say): Promise<void> {
    const previous = this.table.get(release.app);
    // Old containers of this app not in the table (an interrupted deploy's) go with the previous release.
    const known = new Set(previous?.procs.map((p) => p.id));
    const strays = (await listOwn(this.opts.docker, this.platform, { app: release.app, roles: ['process'] })).filter((c) => !known.has(c.Id));
    const suffix = previous?.release.version === release.version ? `-r${Date.now().toString(36)}` : '';
    const next: AppState = { release, procs: [] };
    const web = release.processes.find((p) => p.type === 'web');
    if (web && web.quantity > 0) next.procs = await bootWeb(this.ctx, release, indexesToAdd([], web.quantity), say, suffix);
    const span = { [attr.app]: release.app, [attr.releaseVersion]: release.version };
    await withSpan('route switch', span, async () => {
      this.table.set(release.app, next);
      this.table.syncRoute(release.app);
    });
    if (web && web.quantity > 0) say(`-----> Routing ${release.app} to v${release.version}`);
    if (previous) await withSpan('stop previous', span, () => retire(this.ctx, release.app, previous.procs, `v${previous.release.version}`, say));
    await removeNow(this.ctx, strays.map((c) => ({ id: c.Id })));
    for (const proc of release.processes.filter((p) => p.type !== 'web')) {
      next.procs.push(...(await startOthers(this.ctx, release, proc.type, indexesToAdd([], proc.quantity), say, suffix, true)));
    }
  }

  private async scaleType(state: AppState, type: string, quantity: number, say: Say): Promise<void> {
    const { release } = state;
    const current = state.procs.filter((p) => p.type === type).sort((a, b) => a.index - b.index);
    if (current.length > quantity) {
      const extra = current.slice(quantity);
      state.procs = state.procs.filter((p) => !extra.includes(p));
      this.table.syncRoute(release.app);
      await retire(this.ctx, release.app, extra, `${extra.length} ${type} process${extra.length > 1 ? 'es' : ''}`, say);
    } else if (current.length < quantity) {
      const indexes = indexesToAdd(current.map((p) => p.index), quantity);
      const suffix = `-s${Date.now().toString(36)}`; // a removed container of the same slot may still hold the plain name
      const added = type === 'web' ? await bootWeb(this.ctx, release, indexes, say, suffix) : await startOthers(this.ctx, release, type, indexes, say, suffix);
      state.procs.push(...added);
      this.table.syncRoute(release.app);
    }
    const proc = release.processes.find((p) => p.type === type);
    if (proc) proc.quantity = quantity;
  }

  /** Takes over a running container of the live release: its port (web), its log stream from where the log file ends. */
  private async adopt(c: Docker.ContainerInfo, since: string | undefined, say: Say): Promise<Proc> {
    const l = c.Labels;
    const proc: Proc = { id: c.Id, type: l[labels.type]!, index: Number(l[labels.index]), version: Number(l[labels.release]) };
    const dyno = `${proc.type}.${proc.index}`;
    if (proc.type === 'web') {
      const info = await this.opts.docker.getContainer(c.Id).inspect();
      proc.port = hostPortOf(info, toInnerPort(info.Config.ExposedPorts as Record<string, unknown> | undefined));
    }
    this.followers.follow(c.Id, l[labels.app]!, dyno, since ?? new Date().toISOString());
    say(`       ${dyno} (v${proc.version}) adopted: still running${proc.port ? ` on port ${proc.port}` : ''}`);
    return proc;
  }

  private oneOffPlan(spec: ReleaseSpec, role: 'release' | 'run', command: string, extraEnv: Record<string, string>) {
    return this.oneOffs.plan(spec, role, command, extraEnv);
  }

  private async removeImages(app: string): Promise<void> {
    const repo = imageRepo(this.platform, app);
    const images = await this.opts.docker.listImages({ filters: { reference: [repo] } });
    const tags = images.flatMap((i) => (i.RepoTags ?? []).filter((t) => t.startsWith(`${repo}:`)));
    await Promise.all(tags.map((t) => this.opts.docker.getImage(t).remove().catch(() => undefined)));
  }

  private innerPort(image: string): Promise<number> {
    return this.oneOffs.innerPort(image);
  }
}

/** A copy of the spec (scale changes its quantities), refused when it has no image to run. */
function checkedRelease(spec: ReleaseSpec): ReleaseSpec {
  if (!spec.image) throw new PaasError('E_RELEASE_BOOT_FAILED', `v${spec.version} of ${spec.app} has no image to run in Docker mode (it was built as a slug); push again`);
  return { ...spec, processes: spec.processes.map((p) => ({ ...p })) };
}

function unknownType(state: AppState, type: string): PaasError {
  const known = state.release.processes.map((p) => p.type);
  return new PaasError('E_PROCESS_TYPE_UNKNOWN', `No ${type} process type in v${state.release.version} of ${state.release.app} (it has: ${known.join(', ') || 'none'}).`);
}
