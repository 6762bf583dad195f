// runtime/docker/status.ts — what `ps` says of an app container, from the Engine's view of it (its state, restart
// count, exit code, OOM kill); used by the Docker runtime's status and statusAll.
import type Docker from 'dockerode';
import type { ProcessStatus } from '../types.ts';
import { labels } from './names.ts';

/** The host port of a container's first published port (web containers have exactly one). */
export function publishedPort(info: Docker.ContainerInspectInfo): number | undefined {
  const ports = (info.NetworkSettings.Ports ?? {}) as Record<string, Array<{ HostPort: string }> | null>;
  for (const bindings of Object.values(ports)) {
    const port = Number(bindings?.[0]?.HostPort);
    if (Number.isInteger(port) && port > 0) return port;
  }
  return undefined;
}

/**
 * The container's state for `ps`: running → up; restarting (the on-failure policy between tries) → crashed;
 * exited 0 → exited (not restarted, as on Dokku); exited non-zero → crashed, the policy having given up; an OOM
 * kill says so. `phase` is the runtime's own knowledge: booting (not yet routed) or being retired.
 */
export function toProcessStatus(info: Docker.ContainerInspectInfo, phase?: 'starting' | 'stopping'): ProcessStatus {
  const l = info.Config.Labels ?? {};
  const s = info.State;
  const base = {
    app: l[labels.app] ?? '', type: l[labels.type] ?? '', index: Number(l[labels.index]), version: Number(l[labels.release]),
    restarts: info.RestartCount, name: info.Name.replace(/^\//, ''),
    ...(s.Pid > 0 ? { pid: s.Pid } : {}),
  };
  const port = publishedPort(info);
  if (s.Running && !s.Restarting) {
    return { ...base, ...(port ? { port } : {}), state: phase ?? 'up', since: new Date(s.StartedAt) };
  }
  const since = new Date(s.FinishedAt.startsWith('0001-') ? s.StartedAt : s.FinishedAt);
  if (phase === 'stopping' || s.Status === 'removing' || s.Status === 'dead') return { ...base, state: 'stopping', since };
  if (s.Status === 'created') return { ...base, state: 'starting', since: new Date(info.Created) };
  if (s.Restarting) return { ...base, state: 'crashed', since, reason: s.OOMKilled ? 'out of memory' : `exited with code ${s.ExitCode}; restarting` };
  if (s.ExitCode === 0 && !s.OOMKilled) return { ...base, state: 'exited', since, reason: 'exited with code 0; not restarted' };
  return { ...base, state: 'crashed', since, reason: s.OOMKilled ? 'out of memory' : `crashed ${info.RestartCount + 1} times; not restarted` };
}

/** Orders statuses as `ps` lists them: by version, type, index. */
export function byProcess(a: ProcessStatus, b: ProcessStatus): number {
  return a.version - b.version || a.type.localeCompare(b.type) || a.index - b.index;
}
