// web/dashboard/build-history.ts — the activity page's build history: how long each of the app's last finished builds
// took, as a bar chart (failed builds in red) with a table and a summary line as its text fallback.
import type { Knex } from 'knex';
import type { AppRow } from '../../core/access.ts';
import { fmtDuration } from './metrics-view.ts';
import { barChart, type Tone } from './svg-chart.ts';

/** How many of the last builds the chart shows. */
export const BUILD_HISTORY = 30;

export interface BuildHistory {
  svg: string; summary: string; note: string;
  rows: Array<{ number: number; status: string; failed: boolean; duration: string }>;
}

const TONES: Record<string, Tone> = { succeeded: 'ok', failed: 'bad' };

/** What a build durations caption says they are: the time from the push to the end, waits in the queue included. */
export const DURATION_NOTE = 'From the push to the build\'s end, time waiting in the build queue included.';

interface BuildTimes { number: number; status: string; created_at: Date; finished_at: Date | null }

/** The app's last finished builds, oldest first, with their durations; undefined when none has finished. */
export async function buildHistoryOf(db: Knex, app: AppRow, limit = BUILD_HISTORY): Promise<BuildHistory | undefined> {
  // Only the columns the chart uses (not each build's log or metadata), newest first, then oldest first for the chart.
  const recent: BuildTimes[] = await db('builds').where({ app_id: app.id }).orderBy('number', 'desc').limit(limit)
    .select('number', 'status', 'created_at', 'finished_at');
  const builds = recent.filter((b) => b.finished_at).reverse();
  if (builds.length === 0) return undefined;
  const items = builds.map((b) => ({
    number: b.number, status: b.status,
    seconds: Math.max(0, (new Date(b.finished_at!).getTime() - new Date(b.created_at).getTime()) / 1000),
  }));
  const failed = items.filter((b) => b.status === 'failed').length;
  const sorted = items.map((b) => b.seconds).sort((a, b) => a - b);
  const longest = items.reduce((a, b) => (b.seconds > a.seconds ? b : a));
  const summary = `Last ${items.length} finished ${items.length === 1 ? 'build' : 'builds'}: median ${fmtDuration(sorted[Math.floor((sorted.length - 1) / 2)]!)}, `
    + `longest ${fmtDuration(longest.seconds)} (build ${longest.number}); ${failed} failed.`;
  const svg = barChart({
    id: 'chart-builds', title: 'Build durations', description: `${summary} ${DURATION_NOTE} Failed builds are red.`, format: fmtDuration, scale: 'seconds',
    bars: items.map((b) => ({ label: `#${b.number}`, value: b.seconds, tone: TONES[b.status] ?? 'muted', note: `Build ${b.number}: ${b.status}, ${fmtDuration(b.seconds)}` })),
  });
  return { svg, summary, note: DURATION_NOTE, rows: items.reverse().map((b) => ({ number: b.number, status: b.status, failed: b.status === 'failed', duration: fmtDuration(b.seconds) })) };
}
