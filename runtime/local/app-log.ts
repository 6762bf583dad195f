// runtime/local/app-log.ts — writes app output and platform events to <logDir>/<app>.log and the LogSink; used by the local and Docker runtimes.
import fs from 'node:fs';
import path from 'node:path';
import type { LogSink } from '../types.ts';
import { logLine } from './log-file.ts';

/** Appends `<ISO time> app[<source>]: <line>` per line to each app's log file and forwards it to onLog. */
export class AppLog {
  private readonly streams = new Map<string, fs.WriteStream>();

  constructor(private readonly logDir: string, private readonly onLog?: LogSink) {}

  /** Records one line from `source` ('web.1', or 'paas' for platform events), at `time` when its producer stamped it (Docker). */
  write(app: string, source: string, line: string, time = new Date().toISOString()): void {
    // One time for the file and the bus, so a line reads the same from either.
    this.stream(app).write(`${logLine(time, source, line)}\n`);
    this.onLog?.(app, line, source, time);
  }

  /** Flushes and closes the app's file; a later write reopens it. */
  async close(app: string): Promise<void> {
    const stream = this.streams.get(app);
    if (!stream) return;
    this.streams.delete(app);
    await new Promise<void>((resolve) => stream.end(resolve));
  }

  /** Closes every open file (platform shutdown). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.streams.keys()].map((app) => this.close(app)));
  }

  private stream(app: string): fs.WriteStream {
    let stream = this.streams.get(app);
    if (stream) return stream;
    // Sync on purpose: it happens once per app, and keeps write() synchronous so lines stay in order.
    fs.mkdirSync(this.logDir, { recursive: true });
    stream = fs.createWriteStream(path.join(this.logDir, `${app}.log`), { flags: 'a' });
    const opened = stream;
    opened.on('error', (err) => {
      // A full or vanished disk must not take the platform down; drop this stream so the next line retries,
      // and tell the live log readers why the file has gaps.
      if (this.streams.get(app) === opened) this.streams.delete(app);
      this.onLog?.(app, `log file error: ${err.message}`, 'paas', new Date().toISOString());
    });
    this.streams.set(app, stream);
    return stream;
  }
}
