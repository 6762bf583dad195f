// core/events.ts — the event contract: every subject, who publishes it, who listens, and its versioned payload.
// docs/events.md documents the same table; core/events.test.ts fails when the two disagree.

type FieldType = 'string' | 'number' | 'string?' | 'number?' | 'object';

interface EventDef {
  subject: string;          // a NATS subject; <id>/<app> mark the token that varies
  version: number;
  delivery: 'work' | 'core'; // work: JetStream, durable consumers, explicit ack; core: plain NATS publish
  publisher: string;
  listeners: string;
  fields: Record<string, FieldType>;
}

/** Every event the platform publishes. Payloads carry `v` (the version) plus the fields below. */
export const events = {
  pushReceived: {
    subject: 'paas.push.received', version: 1, delivery: 'work', publisher: 'gitd (pre-receive)', listeners: 'controller (builds it)',
    fields: { buildId: 'string', app: 'string', ref: 'string', oldRev: 'string', newRev: 'string', userId: 'number', archivePath: 'string' },
  },
  refUpdated: {
    subject: 'paas.ref.updated', version: 1, delivery: 'core', publisher: 'gitd (post-receive; a ref moved after its push lost its client)', listeners: 'controller (outgoing webhooks: push), external consumers',
    fields: { app: 'string', ref: 'string', oldRev: 'string', newRev: 'string', userId: 'number?' },
  },
  sourcePush: {
    subject: 'paas.source.push', version: 1, delivery: 'work', publisher: 'web (a signed push webhook from the Git host)', listeners: 'gitd (fetches the branch and runs the push pipeline)',
    fields: { deliveryId: 'number', app: 'string', ref: 'string', newRev: 'string' },
  },
  buildLog: {
    subject: 'paas.build.<id>.log', version: 1, delivery: 'core', publisher: 'controller (builder)', listeners: 'gitd (relays to the push), log followers',
    fields: { buildId: 'string', app: 'string', seq: 'number', line: 'string' },
  },
  buildStatus: {
    subject: 'paas.build.<id>.status', version: 1, delivery: 'core', publisher: 'controller', listeners: 'gitd (push outcome), log followers',
    fields: { buildId: 'string', app: 'string', number: 'number', status: 'string', error: 'string?' },
  },
  releaseCreated: {
    subject: 'paas.release.created', version: 1, delivery: 'work', publisher: 'controller (build, config, rollback)', listeners: 'controller (deploys it; outgoing webhooks: release.created)',
    fields: { releaseId: 'number', app: 'string', version: 'number', buildId: 'string?', source: 'string', description: 'string' },
  },
  deployStatus: {
    subject: 'paas.deploy.<id>.status', version: 1, delivery: 'core', publisher: 'controller (runtime driver)', listeners: 'gitd (push outcome), CLI waiting on a release, controller (certificates, local mode; outgoing webhooks: deploy.succeeded, deploy.failed)',
    fields: { releaseId: 'number', app: 'string', version: 'number', buildId: 'string?', status: 'string', error: 'string?', url: 'string?' },
  },
  appLog: {
    subject: 'paas.app.<app>.log', version: 1, delivery: 'core', publisher: 'controller (runtime driver)', listeners: 'logs -t followers',
    fields: { app: 'string', source: 'string', line: 'string', time: 'string' },
  },
  appDestroyed: {
    subject: 'paas.app.destroyed', version: 1, delivery: 'work', publisher: 'controller (apps:destroy)', listeners: 'controller (stops processes, takes its certificates out of the router), gitd (removes the repo)',
    fields: { app: 'string' },
  },
  formationUpdated: {
    subject: 'paas.formation.updated', version: 1, delivery: 'work', publisher: 'controller (ps:scale)', listeners: 'controller (runtime driver)',
    fields: { app: 'string', quantities: 'object' },
  },
  autoscalingUpdated: {
    subject: 'paas.autoscaling.updated', version: 1, delivery: 'work', publisher: 'controller (ps:autoscale, ps:autoscale:off)', listeners: 'controller (runtime driver applies or removes the HorizontalPodAutoscaler)',
    fields: { app: 'string', type: 'string' },
  },
  processesRestart: {
    subject: 'paas.processes.restart', version: 1, delivery: 'work', publisher: 'controller (ps:restart)', listeners: 'controller (runtime driver restarts them)',
    fields: { app: 'string', type: 'string?' },
  },
  domainsUpdated: {
    subject: 'paas.domains.updated', version: 1, delivery: 'work', publisher: 'controller (domains:add/remove, certs:add/remove, HTTPS options)', listeners: 'controller (router, certificates)',
    fields: { app: 'string' },
  },
} as const satisfies Record<string, EventDef>;

export type EventName = keyof typeof events;

type TypeOf<F> = F extends 'string' ? string : F extends 'number' ? number : F extends 'string?' ? string | undefined
  : F extends 'number?' ? number | undefined : F extends 'object' ? Record<string, unknown> : never;
type Required_<T> = { [K in keyof T as T[K] extends `${string}?` ? never : K]: TypeOf<T[K]> };
type Optional_<T> = { [K in keyof T as T[K] extends `${string}?` ? K : never]?: TypeOf<T[K]> };

/** The payload type of an event (without the `v` the bus adds). */
export type Payload<N extends EventName> = Required_<(typeof events)[N]['fields']> & Optional_<(typeof events)[N]['fields']>;

/** The concrete subject of an event, filling the <id>/<app> token. */
export function subjectOf(name: EventName, token?: string | number): string {
  const s: string = events[name].subject;
  if (!s.includes('<')) return s;
  if (token === undefined || !/^[A-Za-z0-9-]+$/.test(String(token))) throw new Error(`subject ${s} needs a token of [A-Za-z0-9-]`);
  return s.replace(/<[a-z]+>/, String(token));
}

/** Subjects carried as work items (JetStream), as NATS patterns. */
export const workSubjects: string[] = Object.values(events).filter((e) => e.delivery === 'work').map((e) => e.subject.replace(/<[a-z]+>/, '*'));

/** Finds which event a concrete subject belongs to. */
export function eventOfSubject(subject: string): EventName | undefined {
  const parts = subject.split('.');
  return (Object.keys(events) as EventName[]).find((name) => {
    const pattern = events[name].subject.split('.');
    return pattern.length === parts.length && pattern.every((p, i) => p.startsWith('<') || p === parts[i]);
  });
}

/** Checks a payload against its event's fields; returns the problems (empty when valid). */
export function validatePayload(name: EventName, payload: unknown): string[] {
  if (typeof payload !== 'object' || payload === null) return ['payload is not an object'];
  const p = payload as Record<string, unknown>;
  const def = events[name];
  const problems: string[] = [];
  if (p.v !== def.version) problems.push(`v must be ${def.version}`);
  for (const [field, type] of Object.entries(def.fields) as [string, FieldType][]) {
    const value = p[field];
    const optional = type.endsWith('?');
    if (value === undefined || value === null) { if (!optional) problems.push(`${field} is missing`); continue; }
    const base = type.replace('?', '');
    const ok = base === 'object' ? typeof value === 'object' && !Array.isArray(value) : typeof value === base;
    if (!ok) problems.push(`${field} must be ${base}`);
  }
  return problems;
}
