// web/dashboard/metrics-view.ts — turns an app's series (services/app-metrics.ts) into the Metrics tab's charts: the
// SVG, a legend, a summary line and a table of the buckets with data (the text fallback), and the deploys listed.
import { STATUS_CLASSES, type AppMetrics, type Values } from '../../services/app-metrics.ts';
import { lineChart, peakOf, type ChartMarker, type ChartSeries, type Tone } from './svg-chart.ts';

export interface ChartView {
  id: string; title: string; unit: string; svg: string; summary: string;
  legend: Array<{ name: string; tone: Tone }>;
  table: { head: string[]; span: number; rows: Array<{ time: string; cells: string[] }>; caption: string };
}

const trim = (n: number, digits: number): string => String(Number(n.toFixed(digits)));
/** Compact number: 3 significant-ish digits, k/M above a thousand. */
export function fmtNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${trim(v / 1e6, 1)}M`;
  if (a >= 1e3) return `${trim(v / 1e3, 1)}k`;
  return trim(v, a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3);
}
export const fmtMs = (v: number): string => (v >= 1000 ? `${trim(v / 1000, 2)} s` : `${trim(v, v >= 10 ? 0 : 1)} ms`);
export const fmtPercent = (v: number): string => `${trim(v, v >= 10 ? 0 : 1)}%`;
export function fmtBytes(v: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${trim(v, v >= 100 || i === 0 ? 0 : 1)} ${units[i]}`;
}
/** Seconds as "42 s" or "3m 05s". */
export function fmtDuration(sec: number): string {
  if (sec < 60) return `${trim(sec, sec >= 10 ? 0 : 1)} s`;
  const m = Math.floor(sec / 60), s = Math.round(sec % 60);
  return `${m}m ${String(s).padStart(2, '0')}s`;
}
export const hhmmss = (d: Date): string => d.toISOString().slice(11, 19);

const STATUS_TONES: Record<(typeof STATUS_CLASSES)[number], Tone> = { '1xx': 'muted', '2xx': 'ok', '3xx': 'info', '4xx': 'warn', '5xx': 'bad' };
const PALETTE: Tone[] = ['1', '2', '3', '4', '5', '6'];

interface Spec {
  id: string; title: string; unit: string; series: ChartSeries[]; format: (v: number) => string; minTop: number; empty: string;
  scale?: 'bytes'; bars?: boolean;
  /** Which buckets hold data, when a value alone cannot say (requests are 0 both without a row and with no 5xx). */
  recorded?: boolean[];
}

/** A measured value, 0 included (an idle CPU reads 0, and that is data, not a gap). */
const hasData = (v: number | null): v is number => v !== null && Number.isFinite(v);

function summaryOf(spec: Spec, times: Date[], rows: number[]): string {
  const last = rows[rows.length - 1];
  if (last === undefined) return spec.empty;
  const parts = spec.series.map((s) => {
    return `${s.name}: latest ${spec.format(s.values[last] ?? 0)}, peak ${spec.format(peakOf([s]))}`;
  });
  return `${parts.join('; ')} (latest bucket ${hhmmss(times[last]!)} UTC).`;
}

/** The last 30 buckets where any series has a value, newest first. */
function tableOf(spec: Spec, times: Date[], rows: number[]): ChartView['table'] {
  const shown = rows.slice(-30).reverse();
  return {
    head: spec.series.map((s) => s.name), span: spec.series.length + 1,
    rows: shown.map((i) => ({ time: hhmmss(times[i]!), cells: spec.series.map((s) => (s.values[i] === null ? '–' : spec.format(s.values[i]!))) })),
    caption: `${spec.title} (${spec.unit}), the last ${shown.length} of ${rows.length} buckets with data, newest first. Times in UTC.`,
  };
}

function chartOf(spec: Spec, m: AppMetrics, markers: ChartMarker[]): ChartView {
  const rows = m.times.map((_, i) => i).filter((i) => (spec.recorded ? spec.recorded[i] === true : spec.series.some((s) => hasData(s.values[i] ?? null))));
  const description = `${spec.title} in ${spec.unit} over the last ${m.window === '1h' ? 'hour' : '24 hours'}, per ${m.resolution} s. ${summaryOf(spec, m.times, rows)}`;
  return {
    id: spec.id, title: spec.title, unit: spec.unit, summary: summaryOf(spec, m.times, rows),
    legend: spec.series.map((s) => ({ name: s.name, tone: s.tone })),
    svg: lineChart({ id: `chart-${spec.id}`, title: spec.title, description, times: m.times, series: spec.series, markers, format: spec.format, minTop: spec.minTop, scale: spec.scale, bars: spec.bars }),
    table: tableOf(spec, m.times, rows),
  };
}

/** How many process types a chart draws on their own; the rest are summed into one "other" series. */
export const TOP_TYPES = 6;
/** How many of the window's newest deploys are drawn and listed; the page says how many more there were. */
export const MAX_MARKERS = 50;

/** Per bucket, the sum of the series' values; null where none of them has one. */
function sumOf(series: ChartSeries[], length: number): Values {
  const out: Values = new Array(length).fill(null);
  for (const s of series) s.values.forEach((v, i) => { if (hasData(v)) out[i] = (out[i] ?? 0) + v; });
  return out;
}

/**
 * One series per process type, alphabetical; past TOP_TYPES, the types with the highest peaks keep their own line and
 * the rest are summed into "other", so an app of 200 types still draws 7 lines, a 7-item legend and an 8-column table.
 */
function perType(m: AppMetrics, pick: (p: AppMetrics['processes'][number]) => Values): ChartSeries[] {
  const all = m.processes.map((p) => ({ name: p.type, values: pick(p) }));
  if (all.length <= TOP_TYPES) return all.map((s, i) => ({ ...s, tone: PALETTE[i]! }));
  const peaks = new Map(all.map((s) => [s, peakOf([{ ...s, tone: 'muted' }])]));
  const top = new Set([...all].sort((a, b) => peaks.get(b)! - peaks.get(a)!).slice(0, TOP_TYPES));
  const rest = all.filter((s) => !top.has(s));
  return [
    ...all.filter((s) => top.has(s)).map((s, i) => ({ ...s, tone: PALETTE[i]! })),
    { name: `other (${rest.length} types)`, tone: 'muted', values: sumOf(rest.map((s) => ({ ...s, tone: 'muted' })), m.times.length) },
  ];
}

/** The window's deploys as chart markers, the newest MAX_MARKERS only. */
export function markersOf(m: AppMetrics): ChartMarker[] {
  return m.deploys.slice(-MAX_MARKERS).map((d) => ({
    at: d.at, label: `v${d.version}`, note: `v${d.version} ${d.status} at ${hhmmss(d.at)} UTC`, failed: d.status === 'failed',
  }));
}

/** The six charts of the Metrics tab, in the order shown. */
export function metricsCharts(m: AppMetrics): ChartView[] {
  const markers = markersOf(m);
  // Classes other than 2xx and 5xx are drawn only when the window has some of them.
  const classes = STATUS_CLASSES.filter((c) => c === '2xx' || c === '5xx' || m.requests[c].some((v) => hasData(v) && v > 0));
  const noProc = 'No process usage recorded in this window.';
  const specs: Spec[] = [
    { id: 'requests', title: 'Requests per second', unit: 'requests/s by status class', format: fmtNumber, minTop: 1, empty: 'No requests in this window.', recorded: m.traffic,
      series: classes.map((c) => ({ name: c, tone: STATUS_TONES[c], values: m.requests[c] })) },
    { id: 'latency', title: 'Latency', unit: 'ms, p50 and p95', format: fmtMs, minTop: 10, empty: 'No requests in this window.',
      series: [{ name: 'p50', tone: 'accent', values: m.p50Ms }, { name: 'p95', tone: '2', values: m.p95Ms }] },
    { id: 'errors', title: '5xx rate', unit: '% of requests', format: fmtPercent, minTop: 5, empty: 'No requests in this window.',
      series: [{ name: '5xx', tone: 'bad', values: m.errorPercent }] },
    { id: 'memory', title: 'Memory', unit: 'bytes per process type', format: fmtBytes, minTop: 1024 * 1024, empty: noProc, scale: 'bytes', series: perType(m, (p) => p.memoryBytes) },
    { id: 'cpu', title: 'CPU', unit: 'cores per process type', format: fmtNumber, minTop: 0.01, empty: noProc, series: perType(m, (p) => p.cpuCores) },
    { id: 'restarts', title: 'Restarts', unit: 'restarts per bucket', format: fmtNumber, minTop: 5, empty: 'No restarts in this window.', bars: true, series: perType(m, (p) => p.restarts) },
  ];
  return specs.map((s) => chartOf(s, m, markers));
}
