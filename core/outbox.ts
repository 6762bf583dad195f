// core/outbox.ts — state changes and the events announcing them are written in one transaction; the relay
// publishes them on the bus and marks them sent, so a crash between the two loses nothing.
import type { Knex } from 'knex';
import type pg from 'pg';
import { events, subjectOf, type EventName, type Payload } from './events.ts';
import type { Bus } from './bus.ts';
import type { Logger } from './logger.ts';
import { contextFrom, traceparentOf } from './tracing.ts';

const CHANNEL = 'paas_outbox';

/**
 * Records an event in the outbox inside the caller's transaction; it is published after commit, in the trace that
 * is active now (its traceparent is kept in the row).
 */
export async function enqueueEvent<N extends EventName>(trx: Knex | Knex.Transaction, name: N, payload: Payload<N>, token?: string | number): Promise<void> {
  await trx('outbox').insert({
    subject: subjectOf(name, token), payload: JSON.stringify({ v: events[name].version, ...payload }), trace: traceparentOf() ?? null,
  });
  await trx.raw('SELECT pg_notify(?, ?)', [CHANNEL, '']);
}

/** Publishes outbox rows in order; woken by NOTIFY, with a slow poll as the fallback. */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private listener?: pg.Client;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(private db: Knex, private bus: Bus, private log: Logger, private pollMs = 1000) {}

  async start(): Promise<void> {
    this.listener = (await this.db.client.acquireConnection()) as pg.Client;
    this.listener.on('notification', () => void this.drain());
    await this.listener.query(`LISTEN ${CHANNEL}`);
    this.timer = setInterval(() => void this.drain(), this.pollMs);
    await this.drain();
  }

  /** Publishes every pending row; concurrent calls coalesce into one more pass. */
  async drain(): Promise<void> {
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    this.running = true;
    try {
      do {
        this.again = false;
        while (await this.publishBatch() > 0) { /* keep going until empty */ }
      } while (this.again && !this.stopped);
    } catch (err) {
      this.log.error({ err }, 'outbox relay failed; will retry');
    } finally {
      this.running = false;
    }
  }

  private async publishBatch(): Promise<number> {
    return this.db.transaction(async (trx) => {
      const rows = await trx('outbox').whereNull('published_at').orderBy('id').limit(100).forUpdate().skipLocked();
      // '' when the row has no (valid) trace: the relay's own context (whatever woke it) is no part of the event's
      // trace. Re-made from its parsed form, never verbatim: a row's junk must not stall the relay (core/nats-bus.ts).
      for (const row of rows) await this.bus.publishRaw(row.subject, row.payload, { id: `outbox-${row.id}`, trace: traceparentOf(contextFrom(row.trace)) ?? '' });
      if (rows.length) await trx('outbox').whereIn('id', rows.map((r) => r.id)).update({ published_at: trx.fn.now() });
      return rows.length;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.listener) {
      await this.listener.query(`UNLISTEN ${CHANNEL}`).catch(() => undefined);
      await this.db.client.releaseConnection(this.listener);
    }
  }
}
