// controller/webhook-worker.ts — sends the pending outgoing-webhook deliveries: claims due rows (SKIP LOCKED, with a
// lease, so a crash mid-send only delays the row), signs and POSTs each (controller/webhook-send.ts), and records the
// attempt: success, or a retry after the next backoff step, or failed once the schedule is used up. A restart
// resumes every pending row: the rows are the queue.
import type { Knex } from 'knex';
import type { Logger } from '../core/logger.ts';
import type { WebhookConfig } from '../core/webhook-config.ts';
import { signWebhookBody } from '../core/webhook-signature.ts';
import { sendWebhook, type SendResult } from './webhook-send.ts';

/** How often the worker looks for due rows when nothing woke it (rows written by another process, e.g. redeliver). */
const POLL_MS = 5000;
const BATCH = 20;
/** Finished deliveries are kept this long in the log, then deleted (checked at most hourly). */
const KEEP_DAYS = 30;
const PRUNE_EVERY_MS = 3600_000;

interface Claimed { id: string; webhook_id: number; event: string; payload: Record<string, unknown>; attempt: number; attempts: unknown[]; created_at: Date; url: string; secret: string }

export class WebhookWorker {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;
  private inFlight?: Promise<void>;
  private prunedAt = 0;

  constructor(private db: Knex, private config: WebhookConfig, private log: Logger, private userAgent: string) {}

  start(): void { this.wake(); }

  /** Looks for due rows now; calls while a pass runs coalesce into one more pass. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    this.running = true;
    this.inFlight = this.drain().finally(() => { this.running = false; });
  }

  private async drain(): Promise<void> {
    try {
      do {
        this.again = false;
        while (!this.stopped && await this.sendBatch() > 0) { /* until nothing is due */ }
      } while (this.again && !this.stopped);
      await this.prune();
    } catch (err) {
      this.log.error({ err }, 'webhook worker pass failed; will retry');
    }
    await this.schedule();
  }

  /** Deletes finished deliveries older than KEEP_DAYS, at most once an hour. */
  private async prune(): Promise<void> {
    if (Date.now() - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = Date.now();
    await this.db('webhook_deliveries_out').whereNot({ status: 'pending' }).where('created_at', '<', this.db.raw(`now() - interval '${KEEP_DAYS} days'`)).delete();
  }

  /** Sleeps until the earliest pending row is due (at most POLL_MS). */
  private async schedule(): Promise<void> {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    let delay = POLL_MS;
    try {
      const next = await this.db('webhook_deliveries_out').where({ status: 'pending' }).min('next_attempt_at as at').first();
      if (next?.at) delay = Math.max(10, Math.min(POLL_MS, new Date(next.at).getTime() - Date.now()));
    } catch (err) {
      this.log.warn({ err }, 'could not read the next webhook due time');
    }
    if (!this.stopped) this.timer = setTimeout(() => this.wake(), delay);
  }

  /** Claims due rows (their lease pushes next_attempt_at past the attempt's timeout) and sends them; returns how many. */
  private async sendBatch(): Promise<number> {
    const leaseSeconds = this.config.timeoutMs / 1000 + 30;
    const rows: Claimed[] = (await this.db.raw(`
      UPDATE webhook_deliveries_out d SET next_attempt_at = now() + make_interval(secs => ?)
      FROM outgoing_webhooks h
      WHERE h.id = d.webhook_id AND d.id IN (
        SELECT id FROM webhook_deliveries_out WHERE status = 'pending' AND next_attempt_at <= now()
        ORDER BY next_attempt_at, created_at LIMIT ? FOR UPDATE SKIP LOCKED)
      RETURNING d.id, d.webhook_id, d.event, d.payload, d.attempt, d.attempts, d.created_at, h.url, h.secret`, [leaseSeconds, BATCH])).rows;
    // In order within a hook (oldest first); hooks in parallel, so one slow receiver does not hold up the others.
    const byHook = new Map<number, Claimed[]>();
    for (const r of rows.sort((a, b) => +new Date(a.created_at) - +new Date(b.created_at))) {
      byHook.set(r.webhook_id, [...(byHook.get(r.webhook_id) ?? []), r]);
    }
    await Promise.all([...byHook.values()].map(async (list) => { for (const r of list) await this.attempt(r); }));
    return rows.length;
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
    await this.db('webhook_deliveries_out').where({ id: row.id }).update({
      attempt, attempts: JSON.stringify(log), status, response_code: r.code ?? null, error: r.error ?? null,
      delivered_at: r.ok ? this.db.fn.now() : null,
      next_attempt_at: status === 'pending' ? this.db.raw('now() + make_interval(secs => ?)', [backoff[attempt - 1]!]) : null,
    });
    if (!r.ok) this.log.info({ delivery: row.id, hook: row.webhook_id, attempt, status, error: r.error }, 'webhook delivery attempt failed');
  }

  /** Stops scheduling; waits for the pass in progress (its rows are recorded, or their lease lapses). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.inFlight?.catch(() => undefined);
  }
}
