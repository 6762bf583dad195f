// runtime/types.ts — the shapes the controller hands to a runtime driver (local or Kubernetes) and gets back;
// ProcessStatus is also what the read port (reader.ts) gives the faces.

/** One Procfile entry with how many instances of it should run. */
export interface ProcessSpec {
  type: string;
  /**
   * A shell command line (`/bin/sh -c`). Empty ('') only for an image built from the app's own Dockerfile without a
   * Procfile (Docker mode): the container then runs the image's own CMD/ENTRYPOINT.
   */
  command: string;
  quantity: number;
  /**
   * ps:autoscale (Kubernetes mode): a HorizontalPodAutoscaler keeps between min and max instances at cpu % of the
   * requested CPU; `quantity` is then only where the count goes back to when autoscaling is turned off.
   */
  autoscale?: { min: number; max: number; cpu: number };
}

/** Everything a runtime needs to run one release of an app. */
export interface ReleaseSpec {
  app: string;
  version: number;
  /** Absolute dir; processes run with cwd = slugDir. */
  slugDir: string;
  /** Config vars + platform vars (the caller includes RELEASE_VERSION, APP_NAME); the runtime adds PORT and DYNO per process. */
  env: Record<string, string>;
  /** The app's own uid (apps.uid): its processes run as it, in its sandbox (local mode). */
  uid?: number;
  /** Dirs relative to slugDir, put first on PATH. */
  pathPrepend: string[];
  /** e.g. web x1, worker x1 ('release' type is never passed here). */
  processes: ProcessSpec[];
  /** Kubernetes mode: the image to run, by digest (`<registry>/<app>@sha256:…`). */
  image?: string;
  /** The app's config vars alone (`env` holds them merged with the platform's values); Kubernetes keeps them in a Secret. */
  config?: Record<string, string>;
  /** Custom domains served besides `<app>.<base domain>` (the Kubernetes Ingress lists them). */
  domains?: string[];
  /** HTTPS at the edge (services/https-edge.ts reads it): Kubernetes mode turns it into a TLS Secret and Ingress settings. */
  edge?: ReleaseEdge;
  /**
   * Memory per process (MB) from the app's plan (services/quotas.ts); unset, the platform's PAAS_APP_MEMORY_MB. The
   * sandbox's cgroup (local), the container's limit (Docker) and the pod's resources.limits.memory take it.
   */
  memoryMb?: number;
  /** app.json's `healthchecks.web` startup checks: the deploy gate of a new web process, instead of "answers HTTP at all". */
  healthchecks?: StartupCheck[];
  /** app.json's `healthchecks.web` readiness and liveness checks (at most one of each): web's probes in Kubernetes mode only. */
  probes?: StartupCheck[];
}

/** One app.json startup check (Dokku's format): GET `path` answers 2xx/3xx (and holds `content`, when given). */
export interface StartupCheck {
  /** Dokku's check type when it is not `startup` (absent: a startup check, the deploy gate). */
  type?: 'readiness' | 'liveness';
  name: string;
  /** Absolute path, e.g. '/health'. */
  path: string;
  /** A substring the body must contain. */
  content?: string;
  /** Tries before the check fails (default 5). */
  attempts: number;
  /** Seconds between tries (default 5). */
  waitSeconds: number;
  /** Seconds one try may take (default 5). */
  timeoutSeconds: number;
  /** Seconds before the first try (default 0). */
  initialDelaySeconds: number;
}

/** An app's HTTPS settings at the edge: HTTP→HTTPS redirect, HSTS, and its uploaded certificate (if any). */
export interface ReleaseEdge {
  redirectHttps: boolean;
  hsts: boolean;
  /** The uploaded certificate (chain and key, PEM) and which of the app's hosts it covers. */
  uploaded?: { cert: string; key: string; hosts: string[] };
}

/** What `ps APP` shows for one running (or restarting) instance. */
export interface ProcessStatus {
  app: string;
  type: string;
  index: number;
  version: number;
  pid?: number;
  /** Local mode: the pid's start time (clock ticks since boot), so a reader can tell the pid was not reused. */
  startTicks?: number;
  port?: number;
  /**
   * `crashed`: exited non-zero (restarting with backoff, or given up after too many tries: see reason);
   * `exited`: exited 0, so it is not restarted (Dokku's on-failure policy).
   */
  state: 'starting' | 'up' | 'crashed' | 'exited' | 'stopping';
  restarts: number;
  since: Date;
  /** Kubernetes mode: the pod's name. */
  name?: string;
  /** Why the state is what it is, when Kubernetes says (CrashLoopBackOff, ImagePullBackOff…). */
  reason?: string;
}

/**
 * Receives every output line of an app's processes; source is e.g. 'web.1', or 'paas' for platform events; time is
 * the ISO time the log file records for the line. Must not throw.
 */
export type LogSink = (app: string, line: string, source: string, time: string) => void;

/** One command run once in a release's environment (`run APP CMD…`): its sandbox or container, its config. */
export interface OneOffInput {
  spec: ReleaseSpec;
  /** A shell command line (`/bin/sh -c`), as Procfile commands are. */
  command: string;
  /** Every output line, as it comes. */
  onLine(line: string, stream: 'stdout' | 'stderr'): void;
  /** Aborted when the client goes away: the process is killed. */
  signal: AbortSignal;
  /** Killed after this long. */
  timeoutMs: number;
  /**
   * Backpressure (optional for a runner to honour): when the client is behind, a promise to await before relaying
   * more output (the process then blocks on its writes); undefined while the client keeps up.
   */
  drain?(): Promise<void> | undefined;
}

/** Runs one-off processes (runtime/select.ts builds the mode's: local sandbox, Docker container). */
export interface OneOffRunner {
  /** Resolves with the process's exit code (128 + signal number when killed). */
  runOneOff(input: OneOffInput): Promise<number>;
}
