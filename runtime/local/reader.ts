// runtime/local/reader.ts — the embedded mode's RuntimeReader, for any process on the platform's machine (the
// local CLI included): `ps` from the processes table the controller snapshots every 2 s, logs from the app's log
// file, and new lines from the bus (`paas.app.<app>.log`) when the process has one, else by following the file.
import type { Knex } from 'knex';
import type { Bus } from '../../core/bus.ts';
import type { LogOptions, RuntimeReader } from '../reader.ts';
import type { ProcessStatus } from '../types.ts';
import { appLogFile, followLogFile, lastLogLines, logLine } from './log-file.ts';

/** A row of the processes table (controller/controller.ts snapshotProcesses writes it). */
interface ProcessRow {
  app: string; type: string; index: number; version: number; state: ProcessStatus['state'];
  pid: number | null; port: number | null; restarts: number; since: Date; reason: string | null;
}

/** Resolves when the signal aborts (at once if it already has). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

export class LocalReader implements RuntimeReader {
  constructor(private db: Knex, private dataDir: string, private bus?: Bus) {}

  async status(app: string): Promise<ProcessStatus[]> {
    const rows = (await this.db('processes').where({ app }).orderBy(['type', 'index'])) as ProcessRow[];
    return rows.map((r) => ({
      app: r.app, type: r.type, index: r.index, version: r.version, state: r.state, restarts: r.restarts, since: new Date(r.since),
      ...(r.pid !== null ? { pid: r.pid } : {}), ...(r.port !== null ? { port: r.port } : {}), ...(r.reason ? { reason: r.reason } : {}),
    }));
  }

  logs(app: string, opts: LogOptions, onLine: (line: string) => void): Promise<void> {
    const file = appLogFile(this.dataDir, app);
    if (!opts.follow || !this.bus) return followLogFile(file, opts, onLine);
    return this.followBus(this.bus, app, file, opts, onLine);
  }

  /**
   * The file's last lines, then the bus's. The subscription comes first and the tail is read synchronously after
   * it, so every line published from then on comes after the tail, and none is lost in between.
   */
  private async followBus(bus: Bus, app: string, file: string, opts: LogOptions, onLine: (line: string) => void): Promise<void> {
    const unsub = bus.subscribe(`paas.app.${app}.log`, (_s, p) => onLine(logLine(String(p.time), String(p.source), String(p.line))));
    try {
      lastLogLines(file, opts.lines).forEach(onLine);
      opts.onTailEnd?.();
      await aborted(opts.signal);
    } finally {
      unsub();
    }
  }
}
