// runtime/select.ts — the one place the mode (PAAS_RUNTIME) picks an implementation: the drivers the controller
// runs (local processes behind the router and native builds, containers of this host's Docker Engine behind the same
// router, or Kubernetes) and the read port the faces get (ps, logs). Each mode's modules load lazily, so the embedded
// mode never loads the Kubernetes client.
import path from 'node:path';
import type { Knex } from 'knex';
import { appBaseEnv } from '../core/app-env.ts';
import { publish, type Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type Docker from 'dockerode';
import type { BuildDriver, RuntimeDriver } from './driver.ts';
import type { DockerRuntime } from './docker/runtime.ts';
import type { LocalDriver } from './local/driver.ts';
import type { Router } from './router.ts';
import type { RuntimeReader } from './reader.ts';
import { PaasError } from '../core/errors.ts';
import { limitOneOffs } from './one-off-limit.ts';
import type { OneOffRunner } from './types.ts';
import { combinedUsage, type UsageSource } from './usage.ts';

/**
 * The controller's drivers; `router` only in the embedded and Docker modes (Kubernetes routes through Ingresses);
 * `removeAppImages` where the platform keeps build images in a Docker Engine (pruned beyond slug retention);
 * `usageSource` where the platform can read its processes' CPU and memory (local and Docker; Kubernetes leaves that to the cluster).
 */
export interface Drivers {
  runtime: RuntimeDriver; builds: BuildDriver; router?: Router; routerPort: number; removeAppImages?: (app: string, keepNumbers: number[]) => Promise<unknown>;
  usageSource?: UsageSource;
}

/** Builds the controller's drivers for the configured mode. */
export async function selectDrivers(db: Knex, bus: Bus, config: Config, log: Logger): Promise<Drivers> {
  if (config.mode === 'kubernetes') {
    const { kubernetesBuildsFor, kubernetesRuntimeFor } = await import('./kubernetes/connect.ts');
    return { runtime: kubernetesRuntimeFor(config, log), builds: kubernetesBuildsFor(config, db), routerPort: config.routerPort };
  }
  if (config.mode === 'docker') return dockerDrivers(bus, config, log);
  return localDrivers(bus, config, log);
}

/**
 * Builds the read port for the configured mode. `bus`, when the process has one, carries the embedded mode's new
 * log lines at once; without it (the local CLI) they are read as the log file grows.
 */
export async function selectReader(config: Config, db: Knex, bus?: Bus): Promise<RuntimeReader> {
  if (config.mode === 'kubernetes') {
    const { kubernetesReaderFor } = await import('./kubernetes/connect.ts');
    return kubernetesReaderFor(config);
  }
  const { LocalReader } = await import('./local/reader.ts');
  return new LocalReader(db, config.dataDir, bus);
}

/**
 * The one-off runner (`run APP CMD…`) for the configured mode, at most config.oneOff.maxPerApp at once per app. Built
 * on its first use, so a process that never runs one (the local CLI's other commands) sets up no sandbox.
 */
export function selectOneOff(config: Config, log: Logger): OneOffRunner {
  let runner: Promise<OneOffRunner> | undefined;
  const load = async (): Promise<OneOffRunner> => {
    if (config.mode === 'kubernetes') return refuseOneOffs('`run` is not available in Kubernetes mode yet');
    if (config.mode === 'docker') return dockerOneOffs(config);
    const [{ Jail }, { LocalOneOffRunner }] = await Promise.all([import('./local/jail.ts'), import('./local/one-off.ts')]);
    const { jail, notes } = Jail.forHost(config.isolation.mode, config.appLimits, config.hostEnv.PATH, config.dataDir);
    for (const note of notes) log.debug({ isolation: config.isolation.mode }, `one-off sandbox ${note}`);
    const local = new LocalOneOffRunner(jail, appBaseEnv(config.hostEnv));
    if (config.docker.localDockerfiles === 'off') return local;
    // Local mode runs Dockerfile apps' releases (images) on the Engine: their one-offs are containers too.
    const docker = await dockerOneOffs(config);
    return { runOneOff: (input) => (input.spec.image ? docker : local).runOneOff(input) };
  };
  // A setup that failed (a sandbox that could not be prepared) is tried again by the next one-off.
  const ready = () => (runner ??= load().catch((err: unknown) => { runner = undefined; throw err; }));
  return limitOneOffs({ runOneOff: async (input) => (await ready()).runOneOff(input) }, config.oneOff.maxPerApp);
}

/** One-off containers of this platform on the Engine (Docker mode, and local mode's image releases). */
async function dockerOneOffs(config: Config): Promise<OneOffRunner> {
  const [{ DockerOneOffs }, { dockerClient, platformId }] = await Promise.all([import('./docker/one-off.ts'), import('./docker/names.ts')]);
  return new DockerOneOffs(dockerClient(config), platformId(config.dataDir), config.appLimits);
}

/** A runner that refuses every one-off with E_RUN_UNAVAILABLE and the reason. */
function refuseOneOffs(reason: string): OneOffRunner {
  return { runOneOff: () => Promise.reject(new PaasError('E_RUN_UNAVAILABLE', reason)) };
}

/** The router of the local and Docker modes, listening on the configured ports (HTTP, and HTTPS when set). */
async function startRouter(config: Config, log: Logger): Promise<{ router: Router; routerPort: number }> {
  const { Router } = await import('./router.ts');
  const router = new Router({
    baseDomain: config.baseDomain, limits: config.httpLimits, upstreamTimeoutMs: config.routerUpstreamTimeoutMs,
    onError: (err) => log.error({ err }, err.message),
  });
  const routerPort = await router.listen(config.routerPort, config.host);
  config.endpoints.bind('router', routerPort); // the effective port when 0 was asked: app URLs must show it
  if (config.routerTlsPort !== undefined) config.endpoints.bind('routerTls', await router.listenTls(config.routerTlsPort, config.host));
  return { router, routerPort };
}

/** The Engine client, and why it does not answer (undefined when it does). */
async function engine(config: Config): Promise<{ docker: Docker; problem: string | undefined }> {
  const { dockerClient, engineProblem } = await import('./docker/names.ts');
  const docker = dockerClient(config);
  return { docker, problem: await engineProblem(docker) };
}

/** App log lines belong to no trace: a process outlives the deploy that started it. */
const untraced = { trace: '' };

/** The Docker runtime of this platform: containers behind the router, their output into the app log (and bus). */
async function dockerRuntime(docker: Docker, router: Router, bus: Bus, config: Config): Promise<DockerRuntime> {
  const { DockerRuntime } = await import('./docker/runtime.ts');
  return new DockerRuntime({
    docker, dataDir: config.dataDir, router, limits: config.appLimits, bootTimeoutMs: config.bootTimeoutMs,
    releaseTimeoutSeconds: config.releaseTimeoutSeconds, runTimeoutMs: config.oneOff.timeoutSeconds * 1000,
    onLog: (app, line, source, time) => void publish(bus, 'appLog', { app, source, line, time }, app, untraced),
  });
}

/** The stats of this platform's process containers on the Engine. */
async function dockerUsage(docker: Docker, config: Config, log: Logger): Promise<UsageSource> {
  const [{ DockerUsage }, { platformId }] = await Promise.all([import('./docker/usage.ts'), import('./docker/names.ts')]);
  return new DockerUsage(docker, platformId(config.dataDir), { log: log.child({ module: 'docker-usage' }) });
}

/** Docker mode (PAAS_RUNTIME=docker): the router, app containers and image builds on this host's Engine, which must answer. */
async function dockerDrivers(bus: Bus, config: Config, log: Logger): Promise<Drivers> {
  const { docker, problem } = await engine(config);
  if (problem) throw new Error(`PAAS_RUNTIME=docker, but the Docker Engine at ${config.docker.host ?? 'unix:///var/run/docker.sock'} does not answer: ${problem}`);
  const [{ DockerBuildDriver }, { appImageRemover }] = await Promise.all([import('./docker/build.ts'), import('./docker/images.ts')]);
  const { router, routerPort } = await startRouter(config, log);
  const runtime = await dockerRuntime(docker, router, bus, config);
  const usage = await dockerUsage(docker, config, log);
  return { runtime, builds: new DockerBuildDriver(docker, config), router, routerPort, removeAppImages: appImageRemover(docker, config.dataDir), usageSource: usage };
}

/**
 * The embedded mode's drivers: the router, local processes and native builds; with PAAS_DOCKER=auto and an Engine
 * that answers at start, Dockerfile apps are built and run by the Engine beside them (runtime/docker/with-local.ts).
 */
async function localDrivers(bus: Bus, config: Config, log: Logger): Promise<Drivers> {
  const [{ Supervisor }, { LocalDriver }, { NativeBuildDriver }, { appLogFile }, { killGroups, processesUnder }, { LocalUsage }] = await Promise.all([
    import('./local/supervisor.ts'), import('./local/driver.ts'), import('./local/native-build.ts'),
    import('./local/log-file.ts'), import('./local/orphans.ts'), import('./local/usage.ts'),
  ]);
  const { Jail } = await import('./local/jail.ts');
  const { router, routerPort } = await startRouter(config, log);
  const { jail, notes } = Jail.forHost(config.isolation.mode, config.appLimits, config.hostEnv.PATH, config.dataDir);
  for (const note of notes) log.info({ isolation: config.isolation.mode }, `sandbox ${note}`);
  const local = new Supervisor({
    logDir: path.dirname(appLogFile(config.dataDir, 'x')), router, bootTimeoutMs: config.bootTimeoutMs,
    baseEnv: appBaseEnv(config.hostEnv), jail,
    onLog: (app, line, source, time) => void publish(bus, 'appLog', { app, source, line, time }, app, untraced),
  });
  const orphans = killGroups(processesUnder(path.join(config.dataDir, 'apps')));
  if (orphans) log.warn({ groups: orphans }, 'ended app processes left running by an earlier platform process');
  const runtime = new LocalDriver(local, router, (app) => appLogFile(config.dataDir, app), config.releaseTimeoutSeconds);
  const native = new NativeBuildDriver(jail);
  const usage = new LocalUsage(local);
  if (config.docker.localDockerfiles === 'off') return { runtime, builds: native, router, routerPort, usageSource: usage };
  return withDocker({ runtime, native, router, routerPort, usage }, bus, config, log);
}

/**
 * Local mode with an Engine: image releases on Docker, slug ones locally. An Engine that did not answer at start stays
 * unused until the next start (builds then refuse Dockerfile apps, saying why), so no image is built that nothing runs.
 */
async function withDocker(local: { runtime: LocalDriver; native: BuildDriver; router: Router; routerPort: number; usage: UsageSource }, bus: Bus, config: Config, log: Logger): Promise<Drivers> {
  const [{ docker, problem }, { DockerBuildDriver }, { LocalBuildDriver }, { LocalWithDocker }] = await Promise.all([
    engine(config), import('./docker/build.ts'), import('./docker/local-build.ts'), import('./docker/with-local.ts'),
  ]);
  const { router, routerPort } = local;
  const setting = { localDockerfiles: config.docker.localDockerfiles, engineProblem: async () => problem };
  const builds = new LocalBuildDriver(local.native, new DockerBuildDriver(docker, config), setting);
  if (problem) {
    log.info({ problem }, 'no Docker Engine answers: Dockerfile apps are refused in local mode');
    return { runtime: local.runtime, builds, router, routerPort, usageSource: local.usage };
  }
  const { appImageRemover } = await import('./docker/images.ts');
  const runtime = new LocalWithDocker(local.runtime, await dockerRuntime(docker, router, bus, config));
  const usage = combinedUsage([local.usage, await dockerUsage(docker, config, log)]);
  return { runtime, builds, router, routerPort, removeAppImages: appImageRemover(docker, config.dataDir), usageSource: usage };
}
