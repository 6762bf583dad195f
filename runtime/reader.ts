// runtime/reader.ts — the runtime's read port: what the faces (CLI `ps` and `logs`, the JSON API, the dashboard)
// may know of what runs, whichever mode runs it (runtime/select.ts builds the one reader of a process); and what
// Kubernetes would be given for a release (`manifests`), rendered on demand.
import type { Config } from '../core/config.ts';
import type { KubeObject } from './kubernetes/manifests.ts';
import type { ProcessStatus, ReleaseSpec } from './types.ts';

export type { KubeObject };

/** How much of an app's log to read: the last `lines`, then (follow) new lines until `signal` aborts. */
export interface LogOptions {
  lines: number;
  follow: boolean;
  signal: AbortSignal;
  /** Called once the last `lines` are out and before any followed line (the dashboard swaps its tail in then). */
  onTailEnd?: () => void;
}

/** Reads an app's processes and output: the processes snapshot and log file, or the cluster's pods and their logs. */
export interface RuntimeReader {
  /** What runs for the app now, ordered by type and index (ps). */
  status(app: string): Promise<ProcessStatus[]>;
  /** Prints the app's recent lines, `<ISO time> app[<source>]: <text>`, and with follow its new ones until aborted. */
  logs(app: string, opts: LogOptions, onLine: (line: string) => void): Promise<void>;
}

/** The app's last `lines` log lines, oldest first. */
export async function recentLogLines(reader: RuntimeReader, app: string, lines: number): Promise<string[]> {
  const out: string[] = [];
  await reader.logs(app, { lines, follow: false, signal: new AbortController().signal }, (l) => out.push(l));
  return out;
}

/**
 * The objects Kubernetes mode applies for a release (image `<registry>/<app>:<build>` when it has none yet), validated,
 * with any private key redacted, and the name of the registry pull Secret copied beside them. The renderer and the Kubernetes models load only
 * when asked: every process serves the `manifests` command, and none should hold them at rest.
 */
export async function kubernetesManifests(config: Config, spec: ReleaseSpec, buildNumber: number): Promise<{ objects: KubeObject[]; pullSecret: string }> {
  const [{ toKubeRelease, toReleaseObjects }, { objectNames }, { assertValid }, { redactKeys }] = await Promise.all([
    import('./kubernetes/manifests.ts'), import('./kubernetes/names.ts'), import('./kubernetes/validate.ts'), import('./kubernetes/edge-manifests.ts'),
  ]);
  const objects = toReleaseObjects(config, toKubeRelease(spec, config.registry, buildNumber));
  assertValid(objects);
  // Printed, never applied: an uploaded certificate's private key is replaced once the objects are validated.
  return { objects: redactKeys(objects), pullSecret: objectNames.pullSecret };
}
