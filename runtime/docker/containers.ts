// runtime/docker/containers.ts — what an app container is made of (labels, env, command, limits, security options,
// the web port on 127.0.0.1), and the Engine calls around it: create and start, its host port, its last lines,
// removal, and listing this platform's containers by label. Used by the Docker runtime (runtime.ts, one-off.ts).
import type Docker from 'dockerode';
import { labels, namePrefix } from './names.ts';
import { demuxFrames } from './logs.ts';
import { ensurePlatformNetwork, networkName } from './network.ts';

/** The limits every container gets (config.appLimits). */
export interface ContainerLimits { memoryMb: number; pids: number; nofile: number; cpus: number }

/** Dokku's default: an app process that exits non-zero is restarted up to 10 times, then left crashed. */
export const DEFAULT_MAX_RESTARTS = 10;
/** The port a web process listens on inside its container when its image EXPOSEs none (Heroku's and Dokku's 5000). */
export const DEFAULT_INNER_PORT = 5000;

/** One container to make. */
export interface ContainerPlan {
  platform: string;
  app: string;
  version: number;
  type: string;
  index: number;
  role: 'process' | 'release' | 'run';
  name: string;
  image: string;
  /** A shell command line (`/bin/sh -c`); '' runs the image's own CMD. */
  command: string;
  env: Record<string, string>;
  limits: ContainerLimits;
  /** Published on 127.0.0.1 (a host port the Engine picks); only web processes have one. */
  innerPort?: number;
  /** on-failure restarts; undefined for one-off containers (never restarted). */
  maxRestarts?: number;
}

/** The limits of a release's containers: the platform's, with the memory of the app's plan when the release has one. */
export function limitsFor(limits: ContainerLimits, release: { memoryMb?: number }): ContainerLimits {
  return release.memoryMb ? { ...limits, memoryMb: release.memoryMb } : limits;
}

/** The labels of a container; `paas.platform` is what every lookup filters on, so platforms never meet. */
export function toLabels(plan: Pick<ContainerPlan, 'platform' | 'app' | 'version' | 'type' | 'index' | 'role'>): Record<string, string> {
  return {
    [labels.platform]: plan.platform, [labels.app]: plan.app, [labels.release]: String(plan.version),
    [labels.type]: plan.type, [labels.index]: String(plan.index), [labels.role]: plan.role,
  };
}

/**
 * Security boundary: what every app container runs with. No capabilities, no privilege gain through setuid
 * binaries, memory (no swap beyond it), pids, open files and CPU capped, the image's own USER (the injected Dockerfiles
 * set a non-root one), the platform's network (no traffic between its containers: network.ts), and a web port
 * reachable from this host only (the router).
 */
export function toCreateOptions(plan: ContainerPlan): Docker.ContainerCreateOptions {
  const memory = plan.limits.memoryMb * 1024 * 1024;
  const port = plan.innerPort === undefined ? undefined : `${plan.innerPort}/tcp`;
  return {
    name: plan.name,
    Image: plan.image,
    Labels: toLabels(plan),
    Env: Object.entries(plan.env).map(([k, v]) => `${k}=${v}`),
    // Procfile commands are shell commands by definition; the argv array keeps us from building a shell string.
    ...(plan.command === '' ? {} : { Cmd: ['/bin/sh', '-c', plan.command] }),
    ...(port ? { ExposedPorts: { [port]: {} } } : {}),
    HostConfig: {
      RestartPolicy: plan.maxRestarts === undefined ? { Name: 'no' } : { Name: 'on-failure', MaximumRetryCount: plan.maxRestarts },
      Memory: memory,
      MemorySwap: memory,
      PidsLimit: plan.limits.pids,
      NanoCpus: Math.round(plan.limits.cpus * 1e9),
      Ulimits: [{ Name: 'nofile', Soft: plan.limits.nofile, Hard: plan.limits.nofile }],
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      ReadonlyRootfs: false,
      NetworkMode: networkName(plan.platform),
      ...(port ? { PortBindings: { [port]: [{ HostIp: '127.0.0.1', HostPort: '' }] } } : {}),
    },
  };
}

/** The port the image's process listens on: 5000 unless its Dockerfile EXPOSEs others (then 5000 if among them, else the lowest). */
export function toInnerPort(exposed: Record<string, unknown> | undefined): number {
  const ports = Object.keys(exposed ?? {}).filter((p) => p.endsWith('/tcp')).map((p) => Number.parseInt(p, 10)).filter((n) => n > 0);
  if (ports.length === 0 || ports.includes(DEFAULT_INNER_PORT)) return DEFAULT_INNER_PORT;
  return Math.min(...ports);
}

/** Creates the container on the platform's network, made if missing (replacing a leftover of this platform with the same name) and returns it, not started. */
export async function createContainer(docker: Docker, plan: ContainerPlan): Promise<Docker.Container> {
  await ensurePlatformNetwork(docker, plan.platform);
  try {
    return await docker.createContainer(toCreateOptions(plan));
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err;
    // A name taken: a container an interrupted deploy left behind. Only ours (same platform label) is removed.
    const old = await docker.getContainer(plan.name).inspect();
    if (old.Config.Labels?.[labels.platform] !== plan.platform) throw err;
    await removeContainer(docker, old.Id);
    return docker.createContainer(toCreateOptions(plan));
  }
}

/** The host port the Engine published the container's inner port on (127.0.0.1), once it runs. */
export function hostPortOf(info: Docker.ContainerInspectInfo, innerPort: number): number | undefined {
  const bindings = (info.NetworkSettings.Ports as Record<string, Array<{ HostPort: string }> | null> | undefined)?.[`${innerPort}/tcp`];
  const port = Number(bindings?.[0]?.HostPort);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/** Removes a container, killing it if it runs; a container already gone is fine. */
export async function removeContainer(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getContainer(id).remove({ force: true, v: true });
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && status !== 409) throw err; // 409: its removal is already in progress
  }
}

/** Stops a container (SIGTERM, SIGKILL after graceSeconds), then removes it. */
export async function stopAndRemove(docker: Docker, id: string, graceSeconds: number): Promise<void> {
  try {
    await docker.getContainer(id).stop({ t: graceSeconds });
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 304 && status !== 404) throw err; // 304: already stopped
  }
  await removeContainer(docker, id);
}

/** The container's last `count` output lines (stdout and stderr), for a failed boot's message. */
export async function lastLinesOf(docker: Docker, id: string, count = 20): Promise<string[]> {
  try {
    const raw = await docker.getContainer(id).logs({ stdout: true, stderr: true, tail: count, follow: false });
    return demuxFrames(Buffer.isBuffer(raw) ? raw : Buffer.from(raw as unknown as string)).split('\n').filter((l) => l !== '').slice(-count);
  } catch {
    return []; // the container is gone: there is nothing left to show, and the boot failure says why
  }
}

/**
 * Security boundary: this platform's containers (of one app, of some roles), running or not. Labels alone are not
 * proof: a pushed Dockerfile's LABEL lines land on the classic builder's intermediate containers too. Only the
 * platform names containers, so one counts as ours when its name is also one we give (`paas-<platform>-<app>-v…`).
 */
export async function listOwn(docker: Docker, platform: string, opts: { app?: string; roles?: ContainerPlan['role'][] } = {}): Promise<Docker.ContainerInfo[]> {
  const label = [`${labels.platform}=${platform}`, ...(opts.app ? [`${labels.app}=${opts.app}`] : [])];
  const found = await docker.listContainers({ all: true, filters: { label } });
  // The filter ran in the Engine; checked again here because it is what keeps platforms apart.
  return found.filter((c) => c.Labels[labels.platform] === platform && (!opts.app || c.Labels[labels.app] === opts.app)
    && (!opts.roles || opts.roles.includes(c.Labels[labels.role] as ContainerPlan['role']))
    && (c.Names?.[0] ?? '').startsWith(`/${namePrefix(platform, c.Labels[labels.app] ?? '')}`));
}
