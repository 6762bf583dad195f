// runtime/docker/process-table.ts — the Docker runtime's view of each app: its live release and process containers,
// the router's route to their web ports (followed when the Engine restarts a container on a new port), and one
// operation at a time per app (deploy, scale, restart, stop). Used by DockerRuntime.
import type Docker from 'dockerode';
import { PaasError } from '../../core/errors.ts';
import { AppQueue } from '../app-queue.ts';
import type { Router } from '../router.ts';
import type { ReleaseSpec } from '../types.ts';
import type { Proc } from './processes.ts';
import { publishedPort } from './status.ts';

export interface AppState {
  release: ReleaseSpec;
  procs: Proc[];
}

export class ProcessTable {
  private readonly apps = new Map<string, AppState>();
  private readonly queue = new AppQueue();

  constructor(private readonly docker: Docker, private readonly router: Router) {}

  get(app: string): AppState | undefined {
    return this.apps.get(app);
  }

  /** The app's state; E_NO_RELEASE when no release of it runs here. */
  current(app: string): AppState {
    const state = this.apps.get(app);
    if (!state) throw new PaasError('E_NO_RELEASE', `${app} has no running release.`);
    return state;
  }

  set(app: string, state: AppState): void {
    this.apps.set(app, state);
  }

  delete(app: string): void {
    this.apps.delete(app);
  }

  /** Forgets every app and its route (platform shutdown). */
  clear(): void {
    for (const app of this.apps.keys()) this.router.removeRoute(app);
    this.apps.clear();
  }

  /** Points the router at the app's web containers that have a port (none → 503; no web type → no route). */
  syncRoute(app: string): void {
    const state = this.apps.get(app);
    if (!state || !state.release.processes.some((p) => p.type === 'web')) {
      this.router.removeRoute(app);
      return;
    }
    const ports = state.procs.filter((p) => p.type === 'web' && p.phase !== 'stopping' && p.port !== undefined).map((p) => p.port as number);
    this.router.setRoute(app, ports);
  }

  /** Records a container's current port (gone while it restarts, new after); the route follows a change. */
  notePort(info: Docker.ContainerInspectInfo): void {
    for (const [app, state] of this.apps) {
      const proc = state.procs.find((p) => p.id === info.Id);
      if (!proc || proc.type !== 'web') continue;
      const port = info.State.Running && !info.State.Restarting ? publishedPort(info) : undefined;
      if (port === proc.port) return;
      proc.port = port;
      this.syncRoute(app);
      return;
    }
  }

  /** Asks the Engine for the container's port now (a followed container ended a run). */
  async refreshPort(id: string): Promise<void> {
    try {
      this.notePort(await this.docker.getContainer(id).inspect());
    } catch {
      // Removed meanwhile: whoever removed it updates the route.
    }
  }

  /** Runs fn after every earlier operation on the same app, so they never interleave. */
  serialize(app: string, fn: () => Promise<void>): Promise<void> {
    return this.queue.run(app, fn);
  }
}
