// web/dashboard/ansi.ts — turns a raw log line into text segments for the log-line partial: basic SGR
// colours and bold become class names from a fixed list, every other escape or control sequence is dropped.
// The text itself stays text: the template escapes it, so a line never becomes markup.

export interface Segment { text: string; cls?: string }
export interface LogLineView { seq?: number; kind?: 'step' | 'error'; segs: Segment[] }

const COLOURS = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'] as const;
// CSI (ESC [ params final), OSC (ESC ] text BEL or ESC \), and other ESC sequences (intermediates, then a final byte).
const ESCAPES = /\x1b\[([0-9;?]*)[ -\/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -\/]*[0-~]?/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;

interface Style { fg?: string; bold: boolean }

function applySgr(style: Style, params: string): Style {
  const next = { ...style };
  for (const raw of (params === '' ? '0' : params).split(';')) {
    const n = Number(raw);
    if (n === 0) { next.fg = undefined; next.bold = false; }
    else if (n === 1) next.bold = true;
    else if (n === 22) next.bold = false;
    else if (n >= 30 && n <= 37) next.fg = COLOURS[n - 30];
    else if (n >= 90 && n <= 97) next.fg = COLOURS[n - 90];
    else if (n === 39) next.fg = undefined;
  }
  return next;
}

const classOf = (s: Style): string | undefined => [s.fg && `ansi-${s.fg}`, s.bold && 'ansi-bold'].filter(Boolean).join(' ') || undefined;

/** Splits a line into styled segments; a carriage return keeps only what was drawn last, as a terminal shows it. */
export function ansiSegments(raw: string): Segment[] {
  const line = raw.slice(raw.lastIndexOf('\r', raw.length - 2) + 1).replace(/\r$/, '');
  const segs: Segment[] = [];
  let style: Style = { bold: false };
  let at = 0;
  const push = (text: string) => {
    const clean = text.replace(CONTROL, '');
    if (clean) segs.push({ text: clean, cls: classOf(style) });
  };
  for (const m of line.matchAll(ESCAPES)) {
    push(line.slice(at, m.index));
    if (m[2] === 'm') style = applySgr(style, m[1] ?? '');
    at = m.index! + m[0].length;
  }
  push(line.slice(at));
  return segs;
}

/** The view of one build or app log line; push steps and errors get their own look. */
export function logLineView(line: string, seq?: number): LogLineView {
  const segs = ansiSegments(line);
  const plain = segs.map((s) => s.text).join('');
  const kind = plain.startsWith('-----> ') ? 'step' : plain.startsWith(' !     ') ? 'error' : undefined;
  return { seq, kind, segs };
}

const APP_LOG_PREFIX = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (app\[[^\]]{1,80}\]:) /;

/** An app log line (`<time> app[web.1]: text`, as the runtime writes it) with its time and source set apart. */
export function appLogLineView(line: string): LogLineView {
  const m = APP_LOG_PREFIX.exec(line);
  if (!m) return logLineView(line);
  const rest = ansiSegments(line.slice(m[0].length));
  return { segs: [{ text: m[1]!, cls: 'log-time' }, { text: ' ' }, { text: m[2]!, cls: 'log-src' }, { text: ' ' }, ...rest] };
}
