// core/outcome.ts — where a push's build stands, read from the database (the source of truth). gitd polls it
// beside the status events, so a push gets its verdict even when an event was lost on the way.
import type { Knex } from 'knex';

export type PushOutcome = 'running' | 'succeeded' | 'failed';

/** The outcome of the push that made build `buildId`: its build, then the release that build first made. */
export async function pushOutcome(db: Knex, buildId: string): Promise<PushOutcome> {
  const build = await db('builds').where({ id: buildId }).first('status');
  if (!build || build.status === 'building') return 'running';
  if (build.status === 'failed') return 'failed';
  const release = await db('releases').where({ build_id: buildId }).orderBy('version').first('status');
  if (!release || release.status === 'pending' || release.status === 'deploying') return 'running';
  return release.status === 'succeeded' ? 'succeeded' : 'failed';
}

/** Stored build log lines after a sequence number. */
export async function buildLinesAfter(db: Knex, buildId: string, afterSeq: number): Promise<Array<{ seq: number; line: string }>> {
  return db('build_log_lines').where({ build_id: buildId }).where('seq', '>', afterSeq).orderBy('seq').select('seq', 'line');
}
