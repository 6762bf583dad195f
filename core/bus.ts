// core/bus.ts — the event bus interface, and the in-process bus used by the embedded mode.
// Subjects follow NATS rules: tokens split on '.', '*' matches one token, '>' matches the rest.
import { eventOfSubject, subjectOf, validatePayload, events, type EventName, type Payload } from './events.ts';
import type { Logger } from './logger.ts';
import { contextFrom, contextWith, currentContext } from './tracing.ts';

export type Handler = (subject: string, payload: Record<string, unknown>) => void | Promise<void>;

export interface SubscribeOptions {
  /**
   * The durable consumer name, for work subjects: on NATS each durable gets every work item once, redelivered until
   * its handler resolves (explicit ack). Handlers must be idempotent. Ignored by the in-process bus.
   */
  durable?: string;
}

/** A durable consumer's backlog: work items not yet delivered, and delivered but not yet acknowledged. */
export interface ConsumerLag { durable: string; pending: number; ackPending: number }

/**
 * `id` de-duplicates redelivered work items. `trace`: the W3C traceparent the message carries (the outbox relay
 * passes the row's); unset: the active context's; '' : none. Handlers run inside the context it names.
 */
export interface PublishOptions { id?: string; trace?: string }

export interface Bus {
  /** Publishes a raw, already-versioned payload on a subject (see PublishOptions). */
  publishRaw(subject: string, payload: Record<string, unknown>, opts?: PublishOptions): Promise<void>;
  /** Subscribes to a subject pattern; returns the unsubscribe function. */
  subscribe(pattern: string, handler: Handler, opts?: SubscribeOptions): () => void;
  /** The lag of the work consumers this process pulls from (NATS only: the in-process bus has no queue to lag). */
  consumerLag?(): Promise<ConsumerLag[]>;
  /** False while the bus cannot carry events (NATS unreachable); pushes are refused then. */
  ready(): boolean;
  close(): Promise<void>;
}

/** Publishes a typed event on its subject, adding the version (opts: PublishOptions). */
export async function publish<N extends EventName>(bus: Bus, name: N, payload: Payload<N>, token?: string | number, opts?: PublishOptions): Promise<void> {
  await bus.publishRaw(subjectOf(name, token), { v: events[name].version, ...payload }, opts);
}

/** True when a concrete subject matches a NATS-style pattern. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

/** The embedded mode's bus: same subjects and payload checks as NATS, delivered in-process. */
export class MemoryBus implements Bus {
  private subs = new Set<{ pattern: string; handler: Handler }>();
  constructor(private log: Logger) {}

  async publishRaw(subject: string, payload: Record<string, unknown>, opts: PublishOptions = {}): Promise<void> {
    const name = eventOfSubject(subject);
    const problems = name ? validatePayload(name, payload) : [`unknown subject ${subject}`];
    if (problems.length) {
      this.log.error({ subject, problems }, 'refused an event that does not match its schema');
      return;
    }
    // As on NATS: the handler runs in the trace the message names (the relay's own context is nobody's).
    const ctx = opts.trace === undefined ? currentContext() : contextFrom(opts.trace);
    // Handlers are called in publish order but not awaited: a long build must not hold up log delivery.
    for (const sub of [...this.subs]) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      Promise.resolve()
        .then(() => contextWith(ctx, () => sub.handler(subject, payload)))
        .catch((err: unknown) => this.log.error({ err, subject }, 'event handler failed'));
    }
  }

  subscribe(pattern: string, handler: Handler): () => void {
    const sub = { pattern, handler };
    this.subs.add(sub);
    return () => { this.subs.delete(sub); };
  }

  ready(): boolean { return true; }

  async close(): Promise<void> { this.subs.clear(); }
}
