// runtime/select.ts — the one place the mode (PAAS_RUNTIME) picks an implementation: the drivers the controller
// runs (local processes behind the router and native builds, or Kubernetes) and the read port the faces get (ps,
// logs). Each mode's modules load lazily, so the embedded mode never loads the Kubernetes client.
import path from 'node:path';
import type { Knex } from 'knex';
import { appBaseEnv } from '../core/app-env.ts';
import { publish, type Bus } from '../core/bus.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import type { BuildDriver, RuntimeDriver } from './driver.ts';
import type { Router } from './router.ts';
import type { RuntimeReader } from './reader.ts';
import { PaasError } from '../core/errors.ts';
import { limitOneOffs } from './one-off-limit.ts';
import type { OneOffRunner } from './types.ts';

/** The controller's drivers; `router` only in the embedded mode (Kubernetes routes through Ingresses). */
export interface Drivers { runtime: RuntimeDriver; builds: BuildDriver; router?: Router; routerPort: number }

/** Builds the controller's drivers for the configured mode. */
export async function selectDrivers(db: Knex, bus: Bus, config: Config, log: Logger): Promise<Drivers> {
  if (config.mode === 'kubernetes') {
    const { kubernetesBuildsFor, kubernetesRuntimeFor } = await import('./kubernetes/connect.ts');
    return { runtime: kubernetesRuntimeFor(config), builds: kubernetesBuildsFor(config, db), routerPort: config.routerPort };
  }
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
    if (config.mode === 'docker') {
      // INTEGRATOR (issue 11): the Docker helper's DockerRuntime (runtime/docker/runtime.ts) implements OneOffRunner;
      // return it here, e.g. `const { DockerRuntime } = await import('./docker/runtime.ts'); return new DockerRuntime(…);`
      return refuseOneOffs('`run` is not available in Docker mode yet');
    }
    const [{ Jail }, { LocalOneOffRunner }] = await Promise.all([import('./local/jail.ts'), import('./local/one-off.ts')]);
    const { jail, notes } = Jail.forHost(config.isolation.mode, config.appLimits, config.hostEnv.PATH, config.dataDir);
    for (const note of notes) log.debug({ isolation: config.isolation.mode }, `one-off sandbox ${note}`);
    return new LocalOneOffRunner(jail, appBaseEnv(config.hostEnv));
  };
  // A setup that failed (a sandbox that could not be prepared) is tried again by the next one-off.
  const ready = () => (runner ??= load().catch((err: unknown) => { runner = undefined; throw err; }));
  return limitOneOffs({ runOneOff: async (input) => (await ready()).runOneOff(input) }, config.oneOff.maxPerApp);
}

/** A runner that refuses every one-off with E_RUN_UNAVAILABLE and the reason. */
function refuseOneOffs(reason: string): OneOffRunner {
  return { runOneOff: () => Promise.reject(new PaasError('E_RUN_UNAVAILABLE', reason)) };
}

/** The embedded mode's drivers: the router, local processes and native builds. */
async function localDrivers(bus: Bus, config: Config, log: Logger): Promise<Drivers> {
  const [{ Router }, { Supervisor }, { LocalDriver }, { NativeBuildDriver }, { appLogFile }, { killGroups, processesUnder }] = await Promise.all([
    import('./router.ts'), import('./local/supervisor.ts'), import('./local/driver.ts'), import('./local/native-build.ts'),
    import('./local/log-file.ts'), import('./local/orphans.ts'),
  ]);
  const { Jail } = await import('./local/jail.ts');
  const router = new Router({
    baseDomain: config.baseDomain, limits: config.httpLimits, upstreamTimeoutMs: config.routerUpstreamTimeoutMs,
    onError: (err) => log.error({ err }, err.message),
  });
  const routerPort = await router.listen(config.routerPort, config.host);
  config.endpoints.bind('router', routerPort); // the effective port when 0 was asked: app URLs must show it
  if (config.routerTlsPort !== undefined) config.endpoints.bind('routerTls', await router.listenTls(config.routerTlsPort, config.host));
  const { jail, notes } = Jail.forHost(config.isolation.mode, config.appLimits, config.hostEnv.PATH, config.dataDir);
  for (const note of notes) log.info({ isolation: config.isolation.mode }, `sandbox ${note}`);
  const local = new Supervisor({
    logDir: path.dirname(appLogFile(config.dataDir, 'x')), router, bootTimeoutMs: config.bootTimeoutMs,
    baseEnv: appBaseEnv(config.hostEnv), jail,
    onLog: (app, line, source, time) => void publish(bus, 'appLog', { app, source, line, time }, app),
  });
  const orphans = killGroups(processesUnder(path.join(config.dataDir, 'apps')));
  if (orphans) log.warn({ groups: orphans }, 'ended app processes left running by an earlier platform process');
  const runtime = new LocalDriver(local, router, (app) => appLogFile(config.dataDir, app));
  return { runtime, builds: new NativeBuildDriver(jail), router, routerPort };
}
