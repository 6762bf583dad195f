// controller/webhook-worker.ts — sends the pending outgoing-webhook deliveries: a bounded pool of attempts that keeps
// claiming due rows as slots free up (controller/webhook-claim.ts: at most one row per hook in flight, under a lease
// that outlasts the attempt), signs and POSTs each (controller/webhook-send.ts), and records the attempt under its
// lease: success, or a retry after the next backoff step, or failed once the schedule is used up. One slow receiver
// holds only its own hook's rows. A restart resumes every pending row: the rows are the queue.
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import type { WebhookConfig } from '../core/webhook-config.ts';
import { signWebhookBody } from '../core/webhook-signature.ts';
import { claimDue, nextDue, recordAttempt, type Claimed } from './webhook-claim.ts';
import { sendWebhook, type SendResult } from './webhook-send.ts';

/** How often the worker looks for due rows when nothing woke it (rows written by another process, e.g. redeliver). */
const POLL_MS = 5000;
/** Attempts in flight at once in this process (each to a different hook). */
export const WEBHOOK_CONCURRENCY = 8;
/** Finished deliveries are kept this long in the log, then deleted (checked at most hourly). */
const KEEP_DAYS = 30;
const PRUNE_EVERY_MS = 3600_000;

export class WebhookWorker {
  private timer?: NodeJS.Timeout;
  private filling?: Promise<void>;
  private again = false;
  private stopped = false;
  private active = new Map<string, Promise<void>>();
  private prunedAt = 0;

  constructor(private db: Knex, private config: WebhookConfig, private log: Logger, private userAgent: string) {}

  start(): void { this.wake(); }

  /** Fills the free slots with due rows now; calls while a fill runs coalesce into one more. */
  wake(): void {
    if (this.stopped) return;
    if (this.filling) { this.again = true; return; }
    this.filling = this.fill().finally(() => { this.filling = undefined; if (this.again) this.wake(); });
  }

  /** A lease outlasts the attempt by far (timeout, then the record), so no other controller takes a row in flight. */
  private get leaseSeconds(): number { return Math.ceil((2 * this.config.timeoutMs) / 1000) + 60; }

  private async fill(): Promise<void> {
    try {
      do {
        this.again = false;
        const free = WEBHOOK_CONCURRENCY - this.active.size;
        if (free <= 0 || this.stopped) break;
        const rows = await claimDue(this.db, free, this.leaseSeconds);
        for (const row of rows) this.launch(row);
        if (rows.length === free) this.again = true; // more may be due
      } while (this.again && !this.stopped);
      await this.prune();
    } catch (err) {
      this.log.error({ err }, 'webhook worker pass failed; will retry');
    }
    await this.schedule();
  }

  /** Runs one attempt in a slot; its end frees the slot and looks for more. */
  private launch(row: Claimed): void {
    const run = this.attempt(row)
      .catch((err: unknown) => this.log.error({ err, delivery: row.id }, 'webhook attempt could not be recorded; its lease will lapse'))
      .finally(() => { this.active.delete(row.id); this.wake(); });
    this.active.set(row.id, run);
  }

  /** Deletes finished deliveries older than KEEP_DAYS, at most once an hour. */
  private async prune(): Promise<void> {
    if (Date.now() - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = Date.now();
    await this.db('webhook_deliveries_out').whereNot({ status: 'pending' }).where('created_at', '<', this.db.raw(`now() - interval '${KEEP_DAYS} days'`)).delete();
  }

  /** Sleeps until the earliest claimable row is due (at most POLL_MS); with every slot busy, a finishing attempt wakes it. */
  private async schedule(): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    if (this.active.size >= WEBHOOK_CONCURRENCY) return;
    let delay = POLL_MS;
    try {
      const at = await nextDue(this.db);
      if (at) delay = Math.max(10, Math.min(POLL_MS, at.getTime() - Date.now()));
    } catch (err) {
      this.log.warn({ err }, 'could not read the next webhook due time');
    }
    if (!this.stopped) this.timer = setTimeout(() => this.wake(), delay);
  }

  /** One attempt of one delivery, recorded in its row. */
  private async attempt(row: Claimed): Promise<void> {
    const body = JSON.stringify({ id: row.id, ...row.payload });
    const headers = { 'X-Paas-Event': row.event, 'X-Paas-Delivery': row.id, 'X-Paas-Signature-256': signWebhookBody(row.secret, body) };
    const result = await sendWebhook(row.url, body, headers, { timeoutMs: this.config.timeoutMs, allowPrivate: this.config.allowPrivate, userAgent: this.userAgent });
    await this.record(row, result);
  }

  private async record(row: Claimed, r: SendResult): Promise<void> {
    const attempt = row.attempt + 1;
    const log = [...row.attempts, { at: new Date().toISOString(), code: r.code ?? null, error: r.error ?? null, ms: r.ms }];
    const backoff = this.config.backoffSeconds;
    const finalFailure = !r.ok && attempt > backoff.length;
    const status = r.ok ? 'succeeded' : finalFailure ? 'failed' : 'pending';
    const kept = await recordAttempt(this.db, row, {
      attempt, attempts: JSON.stringify(log), status, response_code: r.code ?? null, error: r.error ?? null,
      delivered_at: r.ok ? this.db.fn.now() : null,
      next_attempt_at: status === 'pending' ? this.db.raw('now() + make_interval(secs => ?)', [backoff[attempt - 1]!]) : null,
    });
    if (!kept) this.log.warn({ delivery: row.id, hook: row.webhook_id }, 'webhook attempt finished after its lease was lost; not recorded');
    else if (!r.ok) this.log.info({ delivery: row.id, hook: row.webhook_id, attempt, status, error: r.error }, 'webhook delivery attempt failed');
  }

  /** Stops claiming; waits for the attempts in flight (their rows are recorded, or their lease lapses). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.filling?.catch(() => undefined);
    await Promise.allSettled([...this.active.values()]);
  }
}
