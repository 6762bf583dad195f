// web/dashboard/build-view.ts — one build as its page and its live websocket show it: the build, the release
// it made (the deploy's lines go to the same log), whether it is still running, and its stored log lines.
import type { Knex } from 'knex';
import type { AppRow } from '../../core/access.ts';
import { PaasError } from '../../core/errors.ts';
import { buildLines, findBuild, isRunning, releaseOfBuild, type BuildRow } from '../../services/builds.ts';
import type { ReleaseRow } from '../../services/releases.ts';
import { logLineView, type LogLineView } from './ansi.ts';

export interface BuildState { build: BuildRow; release?: ReleaseRow; running: boolean }

/** Finds build N of the app (numbers only in URLs) with its release and running state. */
export async function buildState(db: Knex, app: AppRow, number: string): Promise<BuildState> {
  if (!/^\d{1,9}$/.test(number)) throw new PaasError('E_BUILD_NOT_FOUND', `${app.name} has no build ${number.slice(0, 20)}`);
  const build = await findBuild(db, app, number);
  const release = await releaseOfBuild(db, build.id);
  return { build, release, running: isRunning(build, release) };
}

/** The stored lines of a build as log-line views, and the last sequence number seen. */
export async function storedLines(db: Knex, buildId: string): Promise<{ lines: LogLineView[]; last: number }> {
  const rows = await buildLines(db, buildId);
  return { lines: rows.map((r) => logLineView(r.line, r.seq)), last: rows.at(-1)?.seq ?? 0 };
}
