// services/webhook-receive.ts — a Git host's webhook for an app (POST /hooks/git/<app>, web/git-webhook.ts): finds
// the app's source, verifies the signature over the raw body first, refuses replays, and for a push to the deploy
// branch records the delivery and announces paas.source.push (in one transaction) for gitd to fetch and deploy.
// An unknown or unconnected app is answered as a wrong signature is, after the same HMAC work: no name probing.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { PaasError } from '../core/errors.ts';
import { parseAppName } from '../core/names.ts';
import { enqueueEvent } from '../core/outbox.ts';
import type { SourceRow } from './git-sources.ts';
import { envelopeOf, verifySignature, type Headers, type WebhookEnvelope } from './webhook-formats.ts';

/** The largest webhook body read (GitHub caps its payloads at 25 MB, but a push's is a few KiB to a few hundred). */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export interface WebhookAnswer { status: number; body: { ok: true; outcome: string; message: string; delivery?: number } }

interface Decision { outcome: 'queued' | 'ignored' | 'pong'; message: string; ref?: string; rev?: string }

const invalid = (why: string) => new PaasError('E_WEBHOOK_INVALID', why);

/** The secret an unknown app's delivery is checked against (it never matches a sender's): the same work, the same answer. */
const NO_SECRET = crypto.randomBytes(32).toString('hex');

async function sourceOf(db: Knex, rawApp: string): Promise<{ appId: number; app: string; source: SourceRow } | undefined> {
  let app: string;
  try {
    app = parseAppName(rawApp);
  } catch {
    return undefined;
  }
  const row = await db('apps').join('app_sources', 'app_sources.app_id', 'apps.id').where('apps.name', app).first('app_sources.*') as SourceRow | undefined;
  return row && { appId: row.app_id, app, source: row };
}

/** The push payload: JSON, or GitHub's form encoding (`payload=<json>`). */
function parsePayload(body: Buffer, contentType: string): Record<string, unknown> {
  let text = body.toString('utf8');
  if (contentType.startsWith('application/x-www-form-urlencoded')) text = new URLSearchParams(text).get('payload') ?? '';
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch { /* refused below */ }
  throw invalid('The webhook body is not a JSON object');
}

/** What to do with a verified delivery: answer a ping, ignore other events and branches, queue a deploy branch push. */
function decide(env: WebhookEnvelope, payload: Record<string, unknown>, branch: string): Decision {
  if (env.event === 'ping') return { outcome: 'pong', message: 'pong: the webhook is set up; pushes to the deploy branch deploy' };
  if (env.event !== 'push') return { outcome: 'ignored', message: `ignored: ${env.event.slice(0, 40)} events do not deploy (only push does)` };
  const { ref, after } = payload;
  if (typeof ref !== 'string' || !ref.startsWith('refs/heads/') || ref.length > 300) throw invalid('A push payload needs "ref": "refs/heads/<branch>"');
  if (typeof after !== 'string' || !/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(after)) throw invalid('A push payload needs "after": the pushed commit id (hex)');
  const pushed = ref.slice('refs/heads/'.length);
  if (pushed !== branch) return { outcome: 'ignored', message: `ignored: branch ${pushed} is not the deploy branch (${branch})`, ref, rev: after };
  if (/^0+$/.test(after)) return { outcome: 'ignored', message: `ignored: branch ${pushed} was deleted`, ref, rev: after };
  return { outcome: 'queued', message: `queued: ${after.slice(0, 7)} of ${pushed} will be fetched and deployed`, ref, rev: after };
}

/** The delivery's row: new, or a failed one taken again (a host's "Redeliver" reuses the id); undefined for a replay. */
async function deliveryRow(trx: Knex.Transaction, appId: number, env: WebhookEnvelope, d: Decision): Promise<number | undefined> {
  const fields = { format: env.format, event: env.event.slice(0, 60), ref: d.ref ?? null, rev: d.rev ?? null, outcome: d.outcome, detail: d.message };
  const [row] = await trx('webhook_deliveries').insert({ app_id: appId, delivery_id: env.deliveryId, ...fields })
    .onConflict(['app_id', 'delivery_id']).ignore().returning('id') as Array<{ id: number }>;
  if (row) return row.id;
  // Only a delivery that failed runs again; one deployed, in progress, ignored or answered is a replay. The row lock
  // makes two redeliveries at once take it once. Whatever runs fetches the branch's head at the host, not the old rev.
  const [again] = await trx('webhook_deliveries').where({ app_id: appId, delivery_id: env.deliveryId, outcome: 'failed' })
    .update({ ...fields, detail: `${d.message} (redelivered after a failure)`, build_id: null, received_at: trx.fn.now() }).returning('id') as Array<{ id: number }>;
  return again?.id;
}

/** Records the delivery (refusing a replayed id) and, for a deploy, enqueues paas.source.push in the same transaction. */
async function record(db: Knex, appId: number, app: string, env: WebhookEnvelope, d: Decision): Promise<number> {
  return db.transaction(async (trx) => {
    const id = await deliveryRow(trx, appId, env, d);
    if (id === undefined) {
      throw new PaasError('E_WEBHOOK_REPLAY', `Delivery ${env.deliveryId} was received already; only a delivery that failed may be redelivered`);
    }
    if (d.outcome === 'queued') await enqueueEvent(trx, 'sourcePush', { deliveryId: id, app, ref: d.ref!, newRev: d.rev! });
    return id;
  });
}

/** Handles one webhook; throws PaasError (401, 400, 409) for what is refused. */
export async function receiveWebhook(db: Knex, rawApp: string, headers: Headers, body: Buffer): Promise<WebhookAnswer> {
  const found = await sourceOf(db, rawApp);
  const env = envelopeOf(headers);
  // Security boundary: nothing of the body is read before its signature is checked. An app that does not exist or
  // is not connected gets the very answer of a wrong signature, so the endpoint tells nobody which apps exist.
  if (!(await verifySignature(env, found?.source.webhook_secret ?? NO_SECRET, body)) || !found) {
    throw new PaasError('E_WEBHOOK_SIGNATURE', `Missing or wrong webhook signature (${env.format} format), or no app connected to a repository at this URL; check the webhook URL and secret that git:source APP shows`);
  }
  const { appId, app, source } = found;
  if (!/^[\x21-\x7e]{1,200}$/.test(env.deliveryId)) throw invalid('The webhook has no delivery id header (X-GitHub-Delivery, X-Gitea-Delivery or X-Paas-Delivery)');
  const contentType = String(headers['content-type'] ?? '');
  const d = env.event === 'push' ? decide(env, parsePayload(body, contentType), source.branch) : decide(env, {}, source.branch);
  const delivery = await record(db, appId, app, env, d);
  return { status: d.outcome === 'queued' ? 202 : d.outcome === 'pong' ? 200 : 202, body: { ok: true, outcome: d.outcome, message: d.message, delivery } };
}
