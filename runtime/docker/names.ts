// runtime/docker/names.ts — what the platform names and labels in the Docker Engine, and its client. Every name
// carries the platform's id (from its data dir), so two platforms on one Engine (the tests run several) never see,
// adopt or remove each other's containers and images. Used by the Docker build and runtime drivers.
import crypto from 'node:crypto';
import path from 'node:path';
import Docker from 'dockerode';
import type { Config } from '../../core/config.ts';

/** The labels on every container the platform starts. */
export const labels = {
  platform: 'paas.platform',
  app: 'paas.app',
  release: 'paas.release',
  type: 'paas.type',
  index: 'paas.index',
  /** 'process' (a Procfile instance), 'release' (release phase or app.json script) or 'run' (a one-off). */
  role: 'paas.role',
} as const;

/** The platform's id in the Engine: 10 hex digits of its data dir's absolute path (stable across restarts). */
export function platformId(dataDir: string): string {
  return crypto.createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 10);
}

/** The image repository of an app's builds: `paas-<platform>/<app>` (app names are already DNS labels). */
export function imageRepo(platform: string, app: string): string {
  return `paas-${platform}/${app}`;
}

/** The image of an app's build N: `paas-<platform>/<app>:<N>`. */
export function imageTag(platform: string, app: string, buildNumber: number): string {
  return `${imageRepo(platform, app)}:${buildNumber}`;
}

/** A process container's name: `paas-<platform>-<app>-v<version>-<type>.<index>`. */
export function containerName(platform: string, app: string, version: number, type: string, index: number): string {
  return `${namePrefix(platform, app)}${version}-${type}.${index}`;
}

/** How the names of every container of the app start (listOwn checks it: only the platform names containers). */
export function namePrefix(platform: string, app: string): string {
  return `paas-${platform}-${app}-v`;
}

/** The Engine client: DOCKER_HOST when set (config.docker.host), else the local socket. */
export function dockerClient(config: Pick<Config, 'docker'>): Docker {
  const host = config.docker.host;
  if (!host) return new Docker({ socketPath: '/var/run/docker.sock' });
  if (host.startsWith('unix://')) return new Docker({ socketPath: host.slice('unix://'.length) });
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  return new Docker({ host: url.hostname, port: Number(url.port) || 2375, protocol: 'http' });
}

/** Undefined when the Engine answers a ping within timeoutMs; else why not, for the operator. */
export async function engineProblem(docker: Docker, timeoutMs = 2000): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => { timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs); });
  try {
    return await Promise.race([docker.ping().then(() => undefined, (err: Error) => err.message), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
