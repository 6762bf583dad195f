// runtime/reader.ts — the runtime's read port: what the faces (CLI `ps` and `logs`, the JSON API, the dashboard)
// may know of what runs, whichever mode runs it. runtime/select.ts builds the one reader of a process.
import type { ProcessStatus } from './types.ts';

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
