// web/dashboard/svg-chart.ts — a small server-side SVG chart renderer for the dashboard (the Metrics tab, build
// durations): time-series lines with areas, deploy markers, bars. Security boundary: its output is inserted into pages
// unescaped, so every text and attribute it writes goes through esc(), and colors are classes (the CSP allows no inline style).

/** A series' color, as a class the stylesheet defines (tone-ok, tone-bad, tone-1…). */
export type Tone = 'ok' | 'bad' | 'warn' | 'accent' | 'muted' | 'info' | '1' | '2' | '3' | '4' | '5' | '6';
export interface ChartSeries { name: string; tone: Tone; values: Array<number | null> }
export interface ChartMarker { at: Date; label: string; note: string; failed?: boolean }
export interface LineChartSpec {
  id: string; title: string; description: string; times: Date[]; series: ChartSeries[];
  markers?: ChartMarker[]; format: (v: number) => string;
  /** The smallest top of the y axis, so a flat zero line sits at the bottom rather than the middle. */
  minTop?: number;
  /** 'bytes' rounds the axis in powers of 1024 (64 MB, not 67.1 MB); 'bars' draws each non-zero value as a bar (counts). */
  scale?: 'bytes';
  bars?: boolean;
}
export interface Bar { label: string; value: number; tone: Tone; note: string }
export interface BarChartSpec { id: string; title: string; description: string; bars: Bar[]; format: (v: number) => string; scale?: 'seconds' }

const W = 560, H = 220, BAR_W = 900;
const M = { left: 58, right: 14, top: 20, bottom: 26 };
const PW = W - M.left - M.right, PH = H - M.top - M.bottom;

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Escapes text for SVG/HTML text and attribute values. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]!);
}
const num = (n: number): string => (Math.round(n * 10) / 10).toString();
const tone = (t: Tone): string => `tone-${esc(t)}`;

/**
 * A round top for the y axis at or above v (1, 2, 2.5 or 5 times a power of ten; of 1024 for bytes; in minutes for
 * seconds over a minute) and how many gridlines divide it evenly.
 */
export function niceTop(v: number, scale?: 'bytes' | 'seconds'): { top: number; divisions: number } {
  if (!(v > 0) || !Number.isFinite(v)) return { top: 1, divisions: 4 };
  const unit = scale === 'bytes' ? 1024 ** Math.max(0, Math.floor(Math.log(v) / Math.log(1024))) : scale === 'seconds' && v > 60 ? 60 : 1;
  const p = 10 ** Math.floor(Math.log10(v / unit));
  const m = [1, 2, 2.5, 5, 10].find((c) => c * p >= (v / unit) * (1 - 1e-9)) ?? 10;
  return { top: m * p * unit, divisions: m === 2 ? 4 : 5 };
}

const TICK_STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 14_400, 21_600, 43_200, 86_400];

/** Round times (UTC) to label the x axis from t0 to t1: about six of them. */
export function timeTicks(t0: number, t1: number): number[] {
  const span = (t1 - t0) / 1000;
  const step = (TICK_STEPS.find((s) => span / s <= 7) ?? 86_400) * 1000;
  const out: number[] = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) out.push(t);
  return out;
}

const hhmm = (t: number): string => new Date(t).toISOString().slice(11, 16);

function frame(id: string, title: string, description: string, body: string[], w = W): string {
  return `<svg class="chart-svg" viewBox="0 0 ${w} ${H}" role="img" aria-labelledby="${esc(id)}-t ${esc(id)}-d" xmlns="http://www.w3.org/2000/svg">`
    + `<title id="${esc(id)}-t">${esc(title)}</title><desc id="${esc(id)}-d">${esc(description)}</desc>${body.join('')}</svg>`;
}

function yAxis({ top, divisions }: { top: number; divisions: number }, format: (v: number) => string, w = W): string[] {
  const out: string[] = [];
  for (let i = 0; i <= divisions; i++) {
    const v = (top * i) / divisions, y = M.top + PH - (PH * i) / divisions;
    out.push(`<line class="grid${i === 0 ? ' base' : ''}" x1="${M.left}" x2="${w - M.right}" y1="${num(y)}" y2="${num(y)}"/>`,
      `<text class="ylabel" x="${M.left - 6}" y="${num(y + 4)}" text-anchor="end">${esc(format(v))}</text>`);
  }
  return out;
}

function xAxis(t0: number, t1: number, x: (t: number) => number): string[] {
  return timeTicks(t0, t1).flatMap((t) => [
    `<line class="tick" x1="${num(x(t))}" x2="${num(x(t))}" y1="${M.top + PH}" y2="${M.top + PH + 4}"/>`,
    `<text class="xlabel" x="${num(x(t))}" y="${H - 8}" text-anchor="middle">${esc(hhmm(t))}</text>`,
  ]);
}

/** Runs of consecutive non-null points, as [x, y] pairs. */
function runsOf(values: Array<number | null>, x: (i: number) => number, y: (v: number) => number): Array<Array<[number, number]>> {
  const runs: Array<Array<[number, number]>> = [];
  let cur: Array<[number, number]> = [];
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) { if (cur.length) runs.push(cur); cur = []; return; }
    cur.push([x(i), y(v)]);
  });
  if (cur.length) runs.push(cur);
  return runs;
}

/**
 * A run with more points than the plot has units (a day of minutes is 1440 points over 488) keeps, per unit column,
 * its lowest and highest point: the same picture, spikes included, in a third of the bytes.
 */
function thin(run: Array<[number, number]>): Array<[number, number]> {
  if (run.length <= PW) return run;
  const out: Array<[number, number]> = [];
  let col: Array<[number, number]> = [];
  const flush = () => {
    if (col.length <= 2) { out.push(...col); return; }
    const lo = col.reduce((a, b) => (b[1] > a[1] ? b : a)), hi = col.reduce((a, b) => (b[1] < a[1] ? b : a));
    out.push(...(col.indexOf(lo) < col.indexOf(hi) ? [lo, hi] : [hi, lo]));
  };
  for (const p of run) {
    if (col.length && Math.round(p[0]) !== Math.round(col[0]![0])) { flush(); col = []; }
    col.push(p);
  }
  flush();
  return out;
}

/** A series' line, with a light area under it when `area` (the first series only, so areas never muddy each other). */
function seriesPaths(s: ChartSeries, x: (i: number) => number, y: (v: number) => number, area: boolean): string[] {
  const base = M.top + PH;
  return runsOf(s.values, x, y).map(thin).map((run) => {
    if (run.length === 1) return `<circle class="dot ${tone(s.tone)}" cx="${num(run[0]![0])}" cy="${num(run[0]![1])}" r="2.5"/>`;
    const line = run.map(([px, py], i) => `${i ? 'L' : 'M'}${num(px)} ${num(py)}`).join('');
    const fill = `${line}L${num(run[run.length - 1]![0])} ${base}L${num(run[0]![0])} ${base}Z`;
    return `${area ? `<path class="area ${tone(s.tone)}" d="${fill}"/>` : ''}<path class="line ${tone(s.tone)}" d="${line}"/>`;
  });
}

/** Each non-zero value as a thin bar, side by side when several series have one in the same bucket. */
function seriesBars(series: ChartSeries[], x: (i: number) => number, y: (v: number) => number): string[] {
  const w = 3, base = M.top + PH;
  return series.flatMap((s, k) => s.values.flatMap((v, i) => (v ? [
    `<rect class="bar ${tone(s.tone)}" x="${num(x(i) - (w * series.length) / 2 + k * w)}" y="${num(y(v))}" width="${w}" height="${num(base - y(v))}"><title>${esc(`${s.name}: ${v}`)}</title></rect>`,
  ] : [])));
}

/**
 * Deploys as dashed vertical lines; one in the bucket now being sampled (after the axis's last point) sits at the right
 * edge. A label that would overlap the next newer one is left off (its <title> stays).
 */
function markerMarks(markers: ChartMarker[], t0: number, t1: number, step: number, x: (t: number) => number): string[] {
  const shown = markers.filter((m) => m.at.getTime() >= t0 && m.at.getTime() < t1 + step).sort((a, b) => a.at.getTime() - b.at.getTime());
  const at = (m: ChartMarker) => Math.min(x(m.at.getTime()), M.left + PW);
  return shown.map((m, i) => {
    const px = at(m), next = shown[i + 1];
    const labelled = next === undefined || at(next) - px >= 24;
    const anchor = px > W - M.right - 30 ? 'end' : 'middle';
    return `<g class="marker${m.failed ? ' marker-failed' : ''}"><title>${esc(m.note)}</title>`
      + `<line x1="${num(px)}" x2="${num(px)}" y1="${M.top - 4}" y2="${M.top + PH}"/>`
      + (labelled ? `<text x="${num(px)}" y="${M.top - 7}" text-anchor="${anchor}">${esc(m.label)}</text>` : '') + '</g>';
  });
}

/** The largest finite value of the series, at least 0; a loop (spreading 100 × 1440 values into Math.max overflows the stack). */
export function peakOf(series: readonly ChartSeries[]): number {
  let peak = 0;
  for (const s of series) for (const v of s.values) if (v !== null && Number.isFinite(v) && v > peak) peak = v;
  return peak;
}

/** A time-series chart: one line (with a light area under it) per series, gaps where a value is null. */
export function lineChart(spec: LineChartSpec): string {
  const { times, series } = spec;
  const t0 = times[0]?.getTime() ?? 0, t1 = times[times.length - 1]?.getTime() ?? t0 + 1;
  const peak = peakOf(series);
  const axis = niceTop(Math.max(peak, spec.minTop ?? 0), spec.scale), top = axis.top;
  const xt = (t: number) => M.left + (PW * (t - t0)) / Math.max(1, t1 - t0);
  const xi = (i: number) => xt(times[i]!.getTime());
  const y = (v: number) => M.top + PH - (PH * Math.min(v, top)) / top;
  return frame(spec.id, spec.title, spec.description, [
    ...yAxis(axis, spec.format), ...xAxis(t0, t1, xt),
    ...(spec.bars ? seriesBars(series, xi, y) : series.flatMap((s, k) => seriesPaths(s, xi, y, k === 0))),
    ...markerMarks(spec.markers ?? [], t0, t1, times.length > 1 ? times[1]!.getTime() - t0 : 1, xt),
  ]);
}

/** A bar chart, one bar per item in order, labelled below every few bars; wider than the line charts (a card of its own). */
export function barChart(spec: BarChartSpec): string {
  const axis = niceTop(spec.bars.reduce((a, b) => Math.max(a, b.value), 0), spec.scale), top = axis.top;
  const n = Math.max(spec.bars.length, 1), slot = (BAR_W - M.left - M.right) / n, every = Math.ceil(n / 12);
  const bars = spec.bars.flatMap((b, i) => {
    const h = Math.max(1, (PH * Math.min(b.value, top)) / top), bx = M.left + i * slot + slot * 0.15;
    const out = [`<rect class="bar ${tone(b.tone)}" x="${num(bx)}" y="${num(M.top + PH - h)}" width="${num(slot * 0.7)}" height="${num(h)}"><title>${esc(b.note)}</title></rect>`];
    if (i === n - 1 || (i % every === 0 && n - 1 - i >= every)) out.push(`<text class="xlabel" x="${num(bx + slot * 0.35)}" y="${H - 8}" text-anchor="middle">${esc(b.label)}</text>`);
    return out;
  });
  return frame(spec.id, spec.title, spec.description, [...yAxis(axis, spec.format, BAR_W), ...bars], BAR_W);
}
