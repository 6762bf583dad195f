// web/dashboard/live-build.ts — follows one build over a websocket for htmx-ext-ws: first the stored lines,
// then each line as the push prints it, then the status badges flip and the socket closes. Lines go through the
// same escaping partial as the page. A line published before we subscribed but stored a moment later is filled in,
// also when no later line follows it for a while (a build's last line before a quiet step).
import type { BuildRow } from '../../services/builds.ts';
import { buildLines, isRunning, releaseOfBuild } from '../../services/builds.ts';
import { logLineView, type LogLineView } from './ansi.ts';
import { storedLines } from './build-view.ts';
import type { DashDeps } from './respond.ts';

/** The part of a ws WebSocket the live views use (the ws package ships no types here). */
export interface LiveSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'close', listener: () => void): unknown;
}

const BATCH_MS = 40;   // lines arriving together go out as one message
const FILL_MS = 400;   // BuildLog stores lines within 250 ms; then the gaps can be read back
const TAIL_MAX_MS = 5000; // the slowest re-read of the log's tail while no line has arrived live yet

/** Streams a build's log into the page's #build-log, and its status into #build-status and #release-status. */
export class BuildFollower {
  private last = 0;
  private ready = false;
  private early: Array<{ seq: number; line: string }> = [];
  private batch: LogLineView[] = [];
  private missing = new Set<number>();
  private timers = new Set<NodeJS.Timeout>();
  private unsubs: Array<() => void> = [];
  private done = false;
  private flushing = false;
  private filling = false;
  private heard = false;

  constructor(private d: DashDeps, private socket: LiveSocket, private build: BuildRow) {}

  /** Subscribes first, then sends what is stored, so no line falls between the two. */
  async start(): Promise<void> {
    const id = this.build.id;
    this.unsubs.push(
      this.d.bus.subscribe(`paas.build.${id}.log`, (_s, p) => { this.heard = true; this.onLine(Number(p.seq), String(p.line)); }),
      this.d.bus.subscribe(`paas.build.${id}.status`, () => this.onStatus(false)),
      this.d.bus.subscribe('paas.deploy.*.status', (_s, p) => { if (p.buildId === id) return this.onStatus(true); }),
    );
    this.socket.on('close', () => this.stop());
    const { lines, last } = await storedLines(this.d.db, id);
    this.send(this.d.views.partial('log-swap', { target: 'build-log', swap: 'innerHTML', lines }));
    this.last = last;
    this.ready = true;
    this.early.splice(0).forEach((l) => this.onLine(l.seq, l.line));
    this.catchUp(FILL_MS);
    await this.onStatus(false);
  }

  /**
   * A line published just before we subscribed and stored just after we read is in neither, and only a later line's
   * gap would show it missing: the last line before a quiet step (tests, a slow compile) would wait for the next one.
   * So the tail is read again once BuildLog has stored it, then less often, until a line arrives live: from then on
   * any line we did not hear leaves a gap, and gaps are filled.
   */
  private catchUp(ms: number): void {
    if (this.heard || this.done) return;
    this.later(ms, () => {
      if (this.heard || this.done) return;
      buildLines(this.d.db, this.build.id, this.last)
        .then((rows) => rows.forEach((r) => this.onLine(r.seq, r.line)))
        .catch((err: unknown) => this.d.log.warn({ err }, 'could not read the build log tail'))
        .finally(() => this.catchUp(Math.min(ms * 2, TAIL_MAX_MS)));
    });
  }

  private onLine(seq: number, line: string): void {
    if (!this.ready) { this.early.push({ seq, line }); return; }
    if (seq <= this.last) { if (this.missing.delete(seq)) this.sendFill([logLineView(line, seq)]); return; }
    for (let s = this.last + 1; s < seq; s++) { this.missing.add(s); this.batch.push({ seq: s, segs: [] }); }
    this.batch.push(logLineView(line, seq));
    this.last = seq;
    if (!this.flushing) {
      this.flushing = true;
      this.later(BATCH_MS, () => { this.flushing = false; this.flushBatch(); });
    }
  }

  private flushBatch(): void {
    if (!this.batch.length) return;
    this.send(this.d.views.partial('log-swap', { target: 'build-log', swap: 'beforeend', lines: this.batch.splice(0) }));
    if (this.missing.size && !this.filling) {
      this.filling = true;
      this.later(FILL_MS, () => { this.filling = false; this.fillGaps().catch((err: unknown) => this.d.log.warn({ err }, 'could not fill build log gaps')); });
    }
  }

  /** Reads lines we saw no event for from the database and swaps them into their placeholders. */
  private async fillGaps(): Promise<void> {
    if (!this.missing.size) return;
    const first = Math.min(...this.missing);
    const rows = (await buildLines(this.d.db, this.build.id, first - 1)).filter((r) => this.missing.delete(r.seq));
    this.sendFill(rows.map((r) => logLineView(r.line, r.seq)));
  }

  private sendFill(lines: LogLineView[]): void {
    if (lines.length) this.send(this.d.views.partial('log-fill', { lines }));
  }

  /** Sends the current badges from the database; when nothing runs any more, finishes. */
  private async onStatus(deployed: boolean): Promise<void> {
    if (!this.ready || this.done) return;
    const build = (await this.d.db('builds').where({ id: this.build.id }).first()) as BuildRow;
    const release = await releaseOfBuild(this.d.db, build.id);
    this.send(this.d.views.partial('badge', { status: build.status, id: 'build-status', oob: true }) + this.d.views.partial('release-status', { release, oob: true }));
    if (deployed || !isRunning(build, release)) await this.finish(build.status === 'failed' || release?.status === 'failed');
  }

  private async finish(failed: boolean): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.flushBatch();
    await this.fillGaps();
    // Numbers a crashed writer skipped are never stored: their placeholders go.
    if (this.missing.size) this.send(this.d.views.partial('log-drop', { seqs: [...this.missing] }));
    this.send(this.d.views.partial('live-note', { oob: true, text: failed ? 'Finished: it failed (see the lines marked !).' : 'Finished.' }));
    this.socket.close(1000, 'finished');
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
  }

  private send(html: string): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(html);
  }

  /** Unsubscribes and clears timers (the socket closed). */
  stop(): void {
    this.done = true; // nor does a read still running schedule more
    this.unsubs.splice(0).forEach((u) => u());
    this.timers.forEach((t) => clearTimeout(t));
    this.timers.clear();
  }
}
