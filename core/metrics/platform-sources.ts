// core/metrics/platform-sources.ts — the scrape-time readings every process has: its database pool, the outbox
// backlog, the JetStream consumers' lag (NATS mode), and the connections open to its HTTP and SSH servers.
import type { Server } from 'node:net';
import type { Knex } from 'knex';
import type { Bus } from '../bus.ts';
import { provide, type Sample } from './registry.ts';

/** How long the outbox query may run at a scrape (it reads an index; a slow database must not hold the scrape). */
const OUTBOX_QUERY_MS = 1500;

/**
 * One reading shared by the families a scrape reads at once (so a scrape runs the outbox query once). A reading
 * still in flight is shared whatever its age: a slow database gets one query at a time from the scrapes, not a pile.
 */
export function shared<T>(read: () => Promise<T>, ttlMs = 1000): () => Promise<T> {
  let last: { at: number; value: Promise<T>; done: boolean } | undefined;
  return () => {
    if (!last || (last.done && performance.now() - last.at > ttlMs)) {
      const entry: { at: number; value: Promise<T>; done: boolean } = { at: performance.now(), value: read(), done: false };
      last = entry;
      entry.value.then(() => { entry.done = true; }, () => {
        entry.done = true;
        if (last === entry) last = undefined; // a newer reading in the cache stays
      });
    }
    return last.value;
  };
}

const one = (value: number): Sample[] => [{ value }];

interface TarnPool { numUsed(): number; numFree(): number; numPendingAcquires(): number }

/** The database pool's use (knex's tarn pool); nothing once the pool is destroyed. */
function poolOf(db: Knex): TarnPool | undefined {
  return (db.client as { pool?: TarnPool }).pool;
}

/**
 * A database-backed reading that is skipped (an error: left out of the scrape and counted in
 * paas_metrics_collect_errors_total) while queries wait for a connection: a scrape must not add to a saturated pool.
 */
export function whenPoolFree<T>(db: Knex, read: () => Promise<T>): () => Promise<T> {
  return async () => {
    const waiting = poolOf(db)?.numPendingAcquires() ?? 0;
    if (waiting > 0) throw new Error(`skipped: ${waiting} queries wait for a database connection`);
    return read();
  };
}

/** Reports the pool, the outbox and (on NATS) the consumers' lag of a process's database and bus. */
export function attachPlatformMetrics(db: Knex, bus: Bus): () => void {
  const outbox = shared(whenPoolFree(db, async () => {
    const row = await db('outbox').whereNull('published_at')
      .first(db.raw('count(*)::int AS n'), db.raw('coalesce(extract(epoch FROM now() - min(created_at)), 0)::float AS age'))
      .timeout(OUTBOX_QUERY_MS, { cancel: true });
    return { pending: Number(row?.n ?? 0), age: Number(row?.age ?? 0) };
  }));
  const lag = shared(async () => (bus.consumerLag ? bus.consumerLag() : []));
  const detach = [
    provide('paas_db_pool_used_connections', () => { const p = poolOf(db); return p ? one(p.numUsed()) : []; }),
    provide('paas_db_pool_free_connections', () => { const p = poolOf(db); return p ? one(p.numFree()) : []; }),
    provide('paas_db_pool_pending_acquires', () => { const p = poolOf(db); return p ? one(p.numPendingAcquires()) : []; }),
    provide('paas_outbox_pending', async () => one((await outbox()).pending)),
    provide('paas_outbox_oldest_pending_age_seconds', async () => one((await outbox()).age)),
    provide('paas_jetstream_consumer_pending', async () => (await lag()).map((c) => ({ labels: { durable: c.durable }, value: c.pending }))),
    provide('paas_jetstream_consumer_ack_pending', async () => (await lag()).map((c) => ({ labels: { durable: c.durable }, value: c.ackPending }))),
  ];
  return () => detach.forEach((d) => d());
}

/** Reports the connections open to an HTTP server (the web port). */
export function attachHttpServer(server: Server): () => void {
  return provide('paas_http_connections_open', () => new Promise<Sample[]>((resolve, reject) => {
    server.getConnections((err, n) => (err ? reject(err) : resolve(one(n))));
  }));
}

/** Reports the SSH connections open (gitd's set of clients). */
export function attachSshClients(clients: { readonly size: number }): () => void {
  return provide('paas_ssh_connections_open', () => one(clients.size));
}
