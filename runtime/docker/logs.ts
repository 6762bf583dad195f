// runtime/docker/logs.ts — app containers' output into the app's log: each process container's log stream (Docker's,
// with timestamps, stdout and stderr demuxed) is followed into runtime/local/app-log.ts, the same file and bus path
// local mode writes, so `logs -t`, the dashboard and the local reader work unchanged. Used by the Docker runtime.
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { eachLine } from '../../core/lines.ts';
import type { AppLog } from '../local/app-log.ts';
import { maxOneOffLineBytes } from '../local/one-off.ts';
import { demux } from './demux.ts';
import { contextWith, ROOT_CONTEXT } from '../../core/tracing.ts';

/** The payload of a non-TTY log buffer (8-byte frame headers stripped); a buffer that is not framed is returned as text. */
export function demuxFrames(buf: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const kind = buf[at]!;
    const size = buf.readUInt32BE(at + 4);
    if (kind > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0 || at + 8 + size > buf.length) break;
    parts.push(buf.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  if (at === 0 && buf.length > 0) return buf.toString('utf8');
  return Buffer.concat(parts).toString('utf8');
}

/** A log line with Docker's timestamp split off: its time in ns since the epoch (for ordering) and as ISO (ms). */
export function splitTimestamp(line: string): { ns: bigint; iso: string; text: string } | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z (.*)$/s.exec(line);
  if (!m) return undefined;
  const secondsMs = Date.parse(`${m[1]}Z`);
  const fraction = (m[2] ?? '').padEnd(9, '0');
  const ns = BigInt(secondsMs) * 1_000_000n + BigInt(fraction);
  return { ns, iso: new Date(secondsMs + Number(fraction.slice(0, 3))).toISOString(), text: m[3]! };
}

/** Docker's `since` for a time in ns: `<seconds>.<nanoseconds>`. */
function toSince(ns: bigint): string {
  return `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;
}

/** lastEnd: the end of a run already reported (State.FinishedAt), so each end is written once. */
interface Followed { app: string; dyno: string; abort: AbortController; lastNs: bigint; lastEnd?: string }

const NEVER_FINISHED = '0001-01-01T00:00:00Z';

/** Says how a container's run ended, for the app's log (the Engine's policy restarts it, or has given up). */
export function describeEnd(state: Docker.ContainerInspectInfo['State'], restartCount: number): string {
  if (state.OOMKilled) return 'ran out of memory';
  if (state.Running) return `stopped; restarted by the Engine (restart ${restartCount})`;
  const exit = `exited with code ${state.ExitCode}`;
  if (state.Restarting) return `${exit}; restarting`;
  if (state.ExitCode === 0) return `${exit}; not restarted`;
  return `${exit}; crashed ${restartCount + 1} times; not restarted`;
}

/** Follows process containers' logs into the app log until unfollowed; a container restarted by its policy is followed again. */
export class LogFollowers {
  private readonly followed = new Map<string, Followed>();

  /** onChange: told when a followed container's run ended (it restarts, or not), so the router follows its port. */
  constructor(private readonly docker: Docker, private readonly log: AppLog, private readonly onChange?: (id: string) => void) {}

  /** Starts following the container (from `sinceIso` on, or its whole output); a second call for the same id does nothing. */
  follow(id: string, app: string, dyno: string, sinceIso?: string): void {
    if (this.followed.has(id)) return;
    const lastNs = sinceIso === undefined ? 0n : BigInt(Date.parse(sinceIso)) * 1_000_000n;
    // A fresh container has no earlier run to report; an adopted one's last end was reported before the platform restarted.
    const entry: Followed = { app, dyno, abort: new AbortController(), lastNs, lastEnd: sinceIso === undefined ? NEVER_FINISHED : undefined };
    this.followed.set(id, entry);
    // The container outlives the deploy that started it: its lines belong to no trace, not the ended deploy span's.
    void contextWith(ROOT_CONTEXT, () => this.run(id, entry)).finally(() => { if (this.followed.get(id) === entry) this.followed.delete(id); });
  }

  /** Stops following the container (before it is stopped on purpose, so its end is not reported as a crash). */
  unfollow(id: string): void {
    this.followed.get(id)?.abort.abort();
    this.followed.delete(id);
  }

  /** Stops following every container (platform shutdown; the containers keep running). */
  unfollowAll(): void {
    for (const id of [...this.followed.keys()]) this.unfollow(id);
  }

  private async run(id: string, entry: Followed): Promise<void> {
    const container = this.docker.getContainer(id);
    const { signal } = entry.abort;
    while (!signal.aborted) {
      try {
        entry.lastEnd ??= (await container.inspect()).State.FinishedAt;
        const stream = await container.logs({ follow: true, stdout: true, stderr: true, timestamps: true, since: toSince(entry.lastNs), abortSignal: signal });
        await this.pump(stream as Readable, entry);
        if (signal.aborted) return;
        const info = await container.inspect();
        if (info.State.FinishedAt !== entry.lastEnd && info.State.FinishedAt !== NEVER_FINISHED) {
          entry.lastEnd = info.State.FinishedAt;
          this.log.write(entry.app, 'paas', `${entry.dyno}: ${describeEnd(info.State, info.RestartCount)}`);
        }
        this.onChange?.(id);
        if (!info.State.Running && !info.State.Restarting && info.State.Status !== 'created') return; // no run comes after this one
      } catch (err) {
        if (signal.aborted || (err as { statusCode?: number }).statusCode === 404) return; // unfollowed, or removed
      }
      await pause(1000, signal); // the policy's restart (or the Engine) comes back; follow the next run's lines
    }
  }

  /** Writes the stream's lines to the app log, skipping those already written (at or before lastNs). */
  private async pump(stream: Readable, entry: Followed): Promise<void> {
    const { stdout, stderr } = demux(stream);
    const onLine = (line: string): void => {
      const parsed = splitTimestamp(line);
      if (!parsed) return this.log.write(entry.app, entry.dyno, line);
      if (parsed.ns <= entry.lastNs) return;
      entry.lastNs = parsed.ns;
      this.log.write(entry.app, entry.dyno, parsed.text, parsed.iso);
    };
    // A line longer than the cap is written in pieces (the later ones without a timestamp): never held whole.
    const opts = { maxLineBytes: maxOneOffLineBytes };
    await Promise.all([eachLine(stdout, onLine, opts), eachLine(stderr, onLine, opts)]);
  }
}

/** Resolves after ms, or at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => { signal.removeEventListener('abort', done); resolve(); }, ms);
    function done(): void { clearTimeout(timer); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}
