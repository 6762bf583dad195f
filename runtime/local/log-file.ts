// runtime/local/log-file.ts — the embedded mode's app logs: the file the local runtime appends to, its line
// format, its last lines, and following it as it grows (the local RuntimeReader, when it has no bus).
import fs from 'node:fs';
import path from 'node:path';
import type { LogOptions } from '../reader.ts';

/** The file the local runtime appends an app's output to. */
export function appLogFile(dataDir: string, app: string): string {
  return path.join(dataDir, 'logs', `${app}.log`);
}

/** One line as the log file holds it and `logs` prints it: `<ISO time> app[<source>]: <text>`. */
export function logLine(time: string, source: string, text: string): string {
  return `${time} app[${source}]: ${text}`;
}

const TAIL_BYTES = 256 * 1024;

/** Reads bytes [from, to) of a file. */
function readRange(file: string, from: number, to: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** The last `lines` lines of a log file (reading at most its last 256 KiB); [] when it does not exist. */
export function lastLogLines(file: string, lines: number): string[] {
  const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  if (size === 0) return [];
  return readRange(file, Math.max(0, size - TAIL_BYTES), size).split('\n').filter(Boolean).slice(-lines);
}

/** Prints the last lines of the log file, then (with follow) its new lines until the signal aborts. */
export async function followLogFile(file: string, opts: LogOptions, out: (line: string) => void): Promise<void> {
  const sizeOf = () => (fs.existsSync(file) ? fs.statSync(file).size : 0);
  let pos = sizeOf();
  lastLogLines(file, opts.lines).forEach(out);
  opts.onTailEnd?.();
  while (opts.follow && !opts.signal.aborted) {
    await new Promise((r) => setTimeout(r, 250));
    const size = sizeOf();
    if (size < pos) pos = 0; // the file was replaced
    if (size === pos) continue;
    const text = readRange(file, pos, size);
    const complete = text.lastIndexOf('\n') + 1; // hold back a partial last line
    pos += Buffer.byteLength(text.slice(0, complete));
    text.slice(0, complete).split('\n').filter(Boolean).forEach(out);
  }
}
