// core/nats-bus.ts — the production bus on NATS: work items (core/events.ts `delivery: 'work'`) go through a
// JetStream stream with durable consumers and explicit acks; log lines and status events use core NATS.
// Every subject can carry a prefix (tests use one per run); handlers always see the canonical subject.
import { connect, nanos, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { eventOfSubject, events, validatePayload, workSubjects } from './events.ts';
import type { Bus, Handler, SubscribeOptions } from './bus.ts';
import type { Logger } from './logger.ts';

/** Called with a work item no handler can take (bad payload, or failing on every delivery); it is recorded. */
export type DeadLetterSink = (subject: string, payload: string, reason: string) => Promise<void>;

const MAX_DELIVER = 10;
const ACK_WAIT_MS = 30_000;

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

export class NatsBus implements Bus {
  private connected = true;
  private subs = new Set<Subscription>();
  private consumers = new Set<{ stop(): void }>();

  private constructor(private nc: NatsConnection, private js: JetStreamClient, private prefix: string,
    private stream: string, private log: Logger, private deadLetter: DeadLetterSink) {
    void this.watchStatus();
  }

  /** Connects (retrying for ever on later disconnects) and makes sure the work stream exists. */
  static async connect(url: string, prefix: string, log: Logger, deadLetter: DeadLetterSink): Promise<NatsBus> {
    const nc = await connect({ servers: url.split(','), name: 'paas', maxReconnectAttempts: -1, reconnectTimeWait: 500 });
    const stream = `PAAS_WORK${prefix ? '_' + prefix.replace(/[^A-Za-z0-9]/g, '_').toUpperCase() : ''}`;
    const jsm = await jetstreamManager(nc);
    const config = { name: stream, subjects: workSubjects.map((s) => prefix + s), max_age: nanos(7 * 24 * 3600 * 1000), duplicate_window: nanos(10 * 60 * 1000) };
    await jsm.streams.info(stream).then(() => jsm.streams.update(stream, config), () => jsm.streams.add(config));
    return new NatsBus(nc, jetstream(nc), prefix, stream, log, deadLetter);
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === 'disconnect') { this.connected = false; this.log.warn('NATS disconnected; reconnecting'); }
      if (s.type === 'reconnect') { this.connected = true; this.log.info('NATS reconnected'); }
    }
  }

  ready(): boolean { return this.connected && !this.nc.isClosed(); }

  async publishRaw(subject: string, payload: Record<string, unknown>, opts: { id?: string } = {}): Promise<void> {
    const data = JSON.stringify(payload);
    if (isWork(subject)) await this.js.publish(this.prefix + subject, data, { msgID: opts.id, timeout: 5000 });
    else this.nc.publish(this.prefix + subject, data);
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
        Promise.resolve().then(() => handler(subject, payload)).catch((e: unknown) => this.log.error({ err: e, subject }, 'event handler failed'));
      },
    });
    this.subs.add(sub);
    return () => { sub.unsubscribe(); this.subs.delete(sub); };
  }

  /** Pulls work items for one durable consumer; each is acked only once its handler has resolved. */
  private consumeWork(pattern: string, handler: Handler, durable: string): () => void {
    let stopped = false;
    let messages: { stop(): void } | undefined;
    const entry = { stop: () => { stopped = true; messages?.stop(); } };
    this.consumers.add(entry);
    const run = async () => {
      while (!stopped) {
        try {
          const jsm = await jetstreamManager(this.nc);
          const name = `${durable}${this.prefix ? '_' + this.prefix.replace(/[^A-Za-z0-9]/g, '_') : ''}`;
          await jsm.consumers.info(this.stream, name).catch(() => jsm.consumers.add(this.stream, {
            durable_name: name, filter_subject: this.prefix + pattern, ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All, ack_wait: nanos(ACK_WAIT_MS), max_deliver: MAX_DELIVER,
          }));
          const consumer = await this.js.consumers.get(this.stream, name);
          const iter = await consumer.consume({ max_messages: 4 });
          messages = iter;
          for await (const m of iter) await this.handleWork(m, handler);
        } catch (err) {
          if (!stopped) this.log.warn({ err, durable }, 'work consumer interrupted; retrying');
        }
        if (!stopped) await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void run();
    return () => { entry.stop(); this.consumers.delete(entry); };
  }

  private async handleWork(m: JsMsg, handler: Handler): Promise<void> {
    const subject = m.subject.slice(this.prefix.length);
    const raw = m.string();
    const { payload, problems } = checkMessage(subject, raw);
    if (!payload) {
      m.term(problems.join('; '));
      await this.deadLetter(subject, raw, `malformed: ${problems.join('; ')}`).catch((err: unknown) => this.log.error({ err }, 'could not record a dead letter'));
      return;
    }
    // A long build keeps its item: "working" pushes the ack deadline on while the handler runs.
    const keepAlive = setInterval(() => m.working(), ACK_WAIT_MS / 3);
    try {
      await handler(subject, payload);
      m.ack();
    } catch (err) {
      this.log.error({ err, subject, delivery: m.info.deliveryCount }, 'work item failed');
      if (m.info.deliveryCount >= MAX_DELIVER) {
        m.term('failed on every delivery');
        await this.deadLetter(subject, raw, `handler failed ${MAX_DELIVER} times: ${err instanceof Error ? err.message : String(err)}`)
          .catch((e: unknown) => this.log.error({ err: e }, 'could not record a dead letter'));
      } else {
        m.nak(Math.min(30_000, 1000 * 2 ** m.info.deliveryCount));
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  async close(): Promise<void> {
    for (const c of this.consumers) c.stop();
    for (const s of this.subs) s.unsubscribe();
    await this.nc.drain().catch(() => undefined);
  }
}
