// runtime/driver.ts — the two driver interfaces the pipeline talks to, so push → build → release →
// deploy is the same code in both modes: a BuildDriver (native build, or a Kubernetes build Job) and a
// RuntimeDriver (local processes behind the router, or Kubernetes objects). runtime/select.ts picks them by the mode.
import { ReleaseBootError } from './boot-error.ts';
import type { Say } from '../core/say.ts';
import type { LogOptions, RuntimeReader } from './reader.ts';
import type { ProcessStatus, ReleaseSpec } from './types.ts';

export type { LogOptions, Say };
// The faces are handed a one-off runner (`run`), so its shapes live in the port (types.ts); drivers implement it.
export type { OneOffInput, OneOffRunner } from './types.ts';

/** Default of PAAS_RELEASE_TIMEOUT_SECONDS for drivers built without a config (tests). */
export const defaultReleaseTimeoutSeconds = 1800;

/** The failure of a release command or app.json script stopped at its deadline (every mode says the same). */
export function releaseTimedOut(label: string, seconds: number): string {
  return `${label} did not finish within ${seconds} s and was stopped (PAAS_RELEASE_TIMEOUT_SECONDS)`;
}

// The refusal of ps:autoscale outside Kubernetes mode: one wording, in core/errors.ts (the service and the local and
// Docker drivers throw it).
export { autoscaleUnavailable } from '../core/errors.ts';

/** One build: the pushed tree and where its output goes. */
export interface BuildInput {
  app: string;
  buildId: string;
  number: number;
  /** The pushed tree as a tar; kept until build() returns (a builder pod may be fetching it). */
  archivePath: string;
  /** Where a native build builds (the slug); unused by the Kubernetes builder. */
  slugDir: string;
  /** The build's environment (native builds; config vars plus PATH, HOME). */
  env: Record<string, string>;
  /** The app's own uid (apps.uid): native build steps run as it, in the app's sandbox. */
  uid?: number;
  log: Say;
  /** Told the detected stack as soon as the driver knows it (a failed build is labelled with it in the metrics). */
  onStack?: (stack: string) => void;
  /** Aborted when the build must stop (the plan's build minutes ran out): the driver ends it and throws. */
  signal?: AbortSignal;
  /** When `signal` will abort, in ms from now: a Kubernetes build Job gets it as its activeDeadlineSeconds. */
  deadlineMs?: number;
}

/** What a build produced: process types always; a slug dir (native) or an image by digest (Kubernetes). */
export interface BuildOutput {
  stack: string;
  processTypes: Record<string, string>;
  pathPrepend: string[];
  slugDir: string | null;
  image: string | null;
}

export interface BuildDriver {
  /** Builds; streams its output to input.log; throws PaasError (E_BUILD_FAILED…) when the build fails. */
  build(input: BuildInput): Promise<BuildOutput>;
}

/** Writes to the runtime; also reads it (status and logs, live from the driver's own view). */
export interface RuntimeDriver extends RuntimeReader {
  /**
   * Rolls the release out and waits until it is healthy. `previous` is the release now live (if any): when the
   * rollout fails, the previous release keeps (or goes back to) serving, and the error says which.
   */
  deploy(spec: ReleaseSpec, say: Say, previous?: ReleaseSpec): Promise<void>;
  /**
   * Runs the Procfile's `release:` command (or app.json's predeploy/postdeploy script: `label` names it in the push,
   * 'release command' unless given) with the new release's code and config; throws when it exits non-zero or runs
   * past PAAS_RELEASE_TIMEOUT_SECONDS (stopped, failing with releaseTimedOut's message).
   */
  runRelease(spec: ReleaseSpec, command: string, say: Say, previous?: ReleaseSpec, label?: string): Promise<void>;
  /** Restarts the app's processes (of one type, or all): web without downtime, as a deploy does (ps:restart). */
  restart(app: string, type: string | undefined, say?: Say): Promise<void>;
  /** Changes instance counts of the app's current release. */
  scale(app: string, quantities: Record<string, number>, say?: Say): Promise<void>;
  /**
   * Applies the live release's autoscaling (ps:autoscale, kept in its process specs' `autoscale`): autoscalers for the
   * types that have it, none for the others. Kubernetes mode only: the other modes throw E_AUTOSCALE_UNAVAILABLE.
   */
  autoscale(app: string, current?: ReleaseSpec): Promise<void>;
  /** What runs for each of the apps (the controller's snapshot for ps and the dashboard). */
  statusAll(apps: string[]): Promise<ProcessStatus[]>;
  /** Routes the app's custom domains (current: the live release, needed to render it again). */
  setDomains(app: string, domains: string[], current?: ReleaseSpec): Promise<void>;
  /** Makes sure the app's current release runs after a platform restart. */
  restore(spec: ReleaseSpec, say: Say): Promise<void>;
  /** Removes everything of the app (apps:destroy). */
  stop(app: string): Promise<void>;
  /** Platform shutdown. */
  stopAll(): Promise<void>;
}

/** A failed rollout; `rolledBackTo` is the version serving again, when the driver rolled back to one. */
export class RolloutFailedError extends ReleaseBootError {
  constructor(message: string, lastLines: string[], readonly rolledBackTo: number | undefined, options?: { cause?: unknown }) {
    super(message, lastLines, options);
    this.name = 'RolloutFailedError';
  }
}
