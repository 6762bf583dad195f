// core/nats-bus.ts — the production bus on NATS: work items (core/events.ts `delivery: 'work'`) go through a
// JetStream stream with durable consumers and explicit acks; log lines and status events use core NATS.
// Every subject can carry a prefix (tests use one per run); handlers always see the canonical subject.
import { connect, headers, nanos, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import { eventOfSubject, events, validatePayload, workSubjects } from './events.ts';
import type { Bus, ConsumerLag, Handler, PublishOptions, SubscribeOptions } from './bus.ts';
import type { Logger } from './logger.ts';
import { contextFrom, contextWith, traceparentOf } from './tracing.ts';

/** Called with a work item no handler can take (bad payload, or failing on every delivery); it is recorded. */
export type DeadLetterSink = (subject: string, payload: string, reason: string) => Promise<void>;

const MAX_DELIVER = 10;

export interface NatsBusOptions {
  /** How long a delivered work item may stay unacked before it is redelivered: a crashed worker's items come back then. */
  ackWaitMs?: number;
}

function isWork(subject: string): boolean {
  const name = eventOfSubject(subject);
  return name !== undefined && events[name].delivery === 'work';
}

/** Problems with a payload as received (JSON and schema), or [] when it is valid. */
export function checkMessage(subject: string, raw: string): { payload?: Record<string, unknown>; problems: string[] } {
  let payload: unknown;
  try { payload = JSON.parse(raw); } catch { return { problems: ['payload is not JSON'] }; }
  const name = eventOfSubject(subject);
  if (!name) return { problems: [`unknown subject ${subject}`] };
  const problems = validatePayload(name, payload);
  return problems.length ? { problems } : { payload: payload as Record<string, unknown>, problems };
}

/** Log lines (a build's, an app's) are many and small, and no work runs on them: they carry no trace header. */
const untracedEvents = new Set<string>(['buildLog', 'appLog']);

function carriesTrace(subject: string): boolean {
  const name = eventOfSubject(subject);
  return name === undefined || !untracedEvents.has(name);
}

/**
 * The traceparent to send: the active context's, or the one given, re-made from its parsed form. A given value is
 * never sent verbatim: an outbox row's junk (5000 characters, a CR or LF that makes the header set throw and the
 * relay retry that row for ever) gives no header.
 */
function traceOf(opts: PublishOptions): string | undefined {
  return opts.trace === undefined ? traceparentOf() : traceparentOf(contextFrom(opts.trace));
}

/** The `traceparent` header of a message (core/tracing.ts), or none. */
function traceHeaders(traceparent: string | undefined): MsgHdrs | undefined {
  if (!traceparent) return undefined;
  const h = headers();
  h.set('traceparent', traceparent);
  return h;
}

/** Security boundary: a message's traceparent header; a missing or malformed one gives a new trace (contextFrom). */
function contextOfHeaders(h: MsgHdrs | undefined) {
  let value: string | undefined;
  try { value = h?.get('traceparent'); } catch { value = undefined; }
  return contextFrom(value);
}

export class NatsBus implements Bus {
  private connected = true;
  private subs = new Set<Subscription>();
  private consumers = new Set<{ stop(): void }>();
  /** The durable consumers this process pulls from: canonical durable name → its name on the server. */
  private durables = new Map<string, string>();
  /** In-progress acks of the items being handled; closing stops them, which hands those items back. */
  private keepAlives = new Set<NodeJS.Timeout>();

  private constructor(private nc: NatsConnection, private js: JetStreamClient, private jsm: JetStreamManager, private prefix: string,
    private stream: string, private log: Logger, private deadLetter: DeadLetterSink, private ackWaitMs: number) {
    void this.watchStatus();
  }

  /** Connects (retrying for ever on later disconnects) and makes sure the work stream exists. */
  static async connect(url: string, prefix: string, log: Logger, deadLetter: DeadLetterSink, opts: NatsBusOptions = {}): Promise<NatsBus> {
    const nc = await connect({ servers: url.split(','), name: 'paas', maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    const stream = `PAAS_WORK${prefix ? '_' + prefix.replace(/[^A-Za-z0-9]/g, '_').toUpperCase() : ''}`;
    const jsm = await jetstreamManager(nc);
    const config = { name: stream, subjects: workSubjects.map((s) => prefix + s), max_age: nanos(7 * 24 * 3600 * 1000), duplicate_window: nanos(10 * 60 * 1000) };
    await jsm.streams.info(stream).then(() => jsm.streams.update(stream, config), () => jsm.streams.add(config));
    // One manager for the bus's life: the consumers' setup and every scrape's consumerLag() reuse it.
    return new NatsBus(nc, jetstream(nc), jsm, prefix, stream, log, deadLetter, opts.ackWaitMs ?? 30_000);
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') { this.connected = false; this.log.warn('NATS disconnected; reconnecting'); }
      if (s.type === 'reconnect') { this.connected = true; this.log.info('NATS reconnected'); }
    }
  }

  ready(): boolean { return this.connected && !this.nc.isClosed(); }

  async publishRaw(subject: string, payload: Record<string, unknown>, opts: PublishOptions = {}): Promise<void> {
    const data = JSON.stringify(payload);
    const hdrs = carriesTrace(subject) ? traceHeaders(traceOf(opts)) : undefined;
    if (isWork(subject)) await this.js.publish(this.prefix + subject, data, { msgID: opts.id, timeout: 5000, ...(hdrs ? { headers: hdrs } : {}) });
    else this.nc.publish(this.prefix + subject, data, hdrs ? { headers: hdrs } : undefined);
  }

  subscribe(pattern: string, handler: Handler, opts: SubscribeOptions = {}): () => void {
    if (opts.durable && isWork(pattern.replace(/\*/g, 'x'))) {
      const stop = this.consumeWork(pattern, handler, opts.durable);
      return stop;
    }
    const sub = this.nc.subscribe(this.prefix + pattern, {
      callback: (err, msg) => {
        if (err) return;
        const subject = msg.subject.slice(this.prefix.length);
        const { payload, problems } = checkMessage(subject, msg.string());
        if (!payload) { this.log.warn({ subject, problems }, 'dropped an event that does not match its schema'); return; }
        const ctx = contextOfHeaders(msg.headers);
        Promise.resolve().then(() => contextWith(ctx, () => handler(subject, payload))).catch((e: unknown) => this.log.error({ err: e, subject }, 'event handler failed'));
      },
    });
    this.subs.add(sub);
    return () => { sub.unsubscribe(); this.subs.delete(sub); };
  }

  /** Pulls work items for one durable consumer; each is acked only once its handler has resolved. */
  private consumeWork(pattern: string, handler: Handler, durable: string): () => void {
    let stopped = false;
    let messages: { stop(): void } | undefined;
    const name = `${durable}${this.prefix ? '_' + this.prefix.replace(/[^A-Za-z0-9]/g, '_') : ''}`;
    // A stopped subscription's durable leaves the lag report: this process no longer pulls from it.
    const entry = { stop: () => { stopped = true; messages?.stop(); this.durables.delete(durable); } };
    this.consumers.add(entry);
    this.durables.set(durable, name);
    const jsm = this.jsm;
    const run = async () => {
      while (!stopped) {
        try {
          const info = await jsm.consumers.info(this.stream, name).catch(() => undefined);
          if (!info) {
            await jsm.consumers.add(this.stream, {
              durable_name: name, filter_subject: this.prefix + pattern, ack_policy: AckPolicy.Explicit,
              deliver_policy: DeliverPolicy.All, ack_wait: nanos(this.ackWaitMs), max_deliver: MAX_DELIVER,
            });
          } else if (info.config.ack_wait !== nanos(this.ackWaitMs)) {
            await jsm.consumers.update(this.stream, name, { ack_wait: nanos(this.ackWaitMs) }); // PAAS_LEASE_SECONDS changed
          }
          const consumer = await this.js.consumers.get(this.stream, name);
          const iter = await consumer.consume({ max_messages: 4 });
          messages = iter;
          // Items are handled side by side, as on the in-process bus: a long build must not hold up the next push
          // (nor let the items buffered behind it run past their ack deadline and come back as duplicates).
          for await (const m of iter) {
            void this.handleWork(m, handler).catch((err: unknown) => this.log.warn({ err, durable }, 'could not settle a work item; it will be redelivered'));
          }
        } catch (err) {
          if (!stopped) this.log.warn({ err, durable }, 'work consumer interrupted; retrying');
        }
        if (!stopped) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void run();
    return () => { entry.stop(); this.consumers.delete(entry); };
  }

  /**
   * The lag of this process's durable consumers (for /metrics): items not yet delivered, and delivered but unacked.
   * One consumer that cannot be read (not created yet, deleted) leaves out only itself; all failing is an error.
   */
  async consumerLag(): Promise<ConsumerLag[]> {
    const results = await Promise.allSettled([...this.durables].map(async ([durable, name]) => {
      const info = await this.jsm.consumers.info(this.stream, name);
      return { durable, pending: info.num_pending, ackPending: info.num_ack_pending };
    }));
    const read = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failed.length > 0 && read.length === 0) throw failed[0];
    if (failed.length > 0) this.log.warn({ err: failed[0], failed: failed.length }, 'some JetStream consumers\' lag could not be read; left out of /metrics');
    return read;
  }

  private async handleWork(m: JsMsg, handler: Handler): Promise<void> {
    const subject = m.subject.slice(this.prefix.length);
    const raw = m.string();
    const { payload, problems } = checkMessage(subject, raw);
    if (!payload) {
      // No reason on the wire: servers before 2.10 ignore "+TERM <reason>" and would redeliver. The sink keeps it.
      m.term();
      await this.deadLetter(subject, raw, `malformed: ${problems.join('; ')}`).catch((err: unknown) => this.log.error({ err }, 'could not record a dead letter'));
      return;
    }
    // A long build keeps its item: "working" pushes the ack deadline on while the handler runs.
    const keepAlive = setInterval(() => { try { m.working(); } catch { /* closed: the item goes back after its ack wait */ } }, this.ackWaitMs / 3);
    this.keepAlives.add(keepAlive);
    try {
      await contextWith(contextOfHeaders(m.headers), () => handler(subject, payload));
      m.ack();
    } catch (err) {
      this.log.error({ err, subject, delivery: m.info.deliveryCount }, 'work item failed');
      if (m.info.deliveryCount >= MAX_DELIVER) {
        m.term();
        await this.deadLetter(subject, raw, `handler failed ${MAX_DELIVER} times: ${err instanceof Error ? err.message : String(err)}`)
          .catch((e: unknown) => this.log.error({ err: e }, 'could not record a dead letter'));
      } else {
        m.nak(Math.min(30_000, 1000 * 2 ** m.info.deliveryCount));
      }
    } finally {
      clearInterval(keepAlive);
      this.keepAlives.delete(keepAlive);
    }
  }

  async close(): Promise<void> {
    for (const c of this.consumers) c.stop();
    for (const k of this.keepAlives) clearInterval(k);
    for (const s of this.subs) s.unsubscribe();
    // Draining needs the server: while it is away (or slow), close without it rather than hang a shutdown.
    const drained = this.ready() ? this.nc.drain().catch(() => undefined) : Promise.resolve();
    await Promise.race([drained, new Promise((r) => setTimeout(r, 5000).unref())]);
    if (!this.nc.isClosed()) await this.nc.close().catch(() => undefined);
  }
}
