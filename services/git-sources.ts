// services/git-sources.ts — an app's connection to a Git host repository (issue 13 §5): connect, show, disconnect,
// and the webhook deliveries it received. Used by the CLI, the API and the dashboard alike; every call goes through
// appForActor first with `deploy` (sourceApp), so only users with deploy rights on the app see its secret or change
// its source: a project viewer (read) sees neither the secret nor the deliveries. The private key is never shown.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import { appForActor, type Actor } from '../core/access.ts';
import { generateDeployKey } from '../core/deploy-key.ts';
import { PaasError } from '../core/errors.ts';
import { parseBranch, parseRepoUrl } from '../core/git-source.ts';
import { checkSourceHost } from '../core/git-source-target.ts';

export interface SourceRow {
  app_id: number; repo_url: string; branch: string; webhook_secret: string;
  deploy_key_private: string; deploy_key_public: string; connected_by: number | null; created_at: Date;
}

/** What users see of a source: never the private key. `webhookPath` is prefixed by the faces with their base URL. */
export interface SourceView {
  app: string; repoUrl: string; branch: string; webhookPath: string; webhookSecret: string; deployKey: string; connectedAt: Date;
}

export interface DeliveryRow {
  id: number; delivery_id: string; format: string; event: string; ref: string | null; rev: string | null;
  outcome: string; detail: string | null; build_id: string | null; received_at: Date;
  /** The number of the build it started (the dashboard's build page), when it started one. */
  build_number: number | null;
}

/** The webhook's path on the web port: one per app, by name (the secret, not the path, is what proves the sender). */
export const webhookPathOf = (app: string): string => `/hooks/git/${app}`;

const toView = (app: string, s: SourceRow): SourceView => ({
  app, repoUrl: s.repo_url, branch: s.branch, webhookPath: webhookPathOf(app), webhookSecret: s.webhook_secret,
  deployKey: s.deploy_key_public, connectedAt: s.created_at,
});

/** The app when the actor may deploy it; a viewer is told why the source is not theirs to see (E_FORBIDDEN). */
const sourceApp = (db: Knex, actor: Actor, appName: string) => appForActor(db, actor, appName, 'deploy',
  `The Git host settings of ${String(appName).slice(0, 63)} hold its webhook secret: they need deploy access (the app's owner, a collaborator, or an owner or member of its project)`);

/** What a connect asks for: the URL and branch (default main); `rotate` makes a new secret and deploy key. */
export interface ConnectRequest { repoUrl: unknown; branch?: unknown; rotate?: boolean }

/**
 * Connects the app to a repository and branch. Reconnecting keeps the secret and the deploy key (the Git host's
 * settings stay valid). A host that resolves to an address the platform may not fetch from is refused
 * (E_SOURCE_URL_REFUSED; `allowPrivate` is PAAS_GIT_SOURCES_ALLOW_PRIVATE); one that does not resolve yet is taken,
 * since each fetch resolves and checks it again.
 */
export async function connectSource(db: Knex, actor: Actor, appName: string, req: ConnectRequest, allowPrivate: boolean): Promise<SourceView> {
  const app = await sourceApp(db, actor, appName);
  const repo = parseRepoUrl(req.repoUrl);
  const url = repo.url;
  const branch = parseBranch(req.branch ?? 'main');
  const rotate = req.rotate === true;
  await checkSourceHost(repo, allowPrivate);
  const existing = await db('app_sources').where({ app_id: app.id }).first() as SourceRow | undefined;
  const keep = existing && !rotate;
  const key = keep ? { privateKey: existing.deploy_key_private, publicKey: existing.deploy_key_public } : await generateDeployKey(`paas-deploy-key-${app.name}`);
  const row = {
    app_id: app.id, repo_url: url, branch,
    webhook_secret: keep ? existing.webhook_secret : crypto.randomBytes(32).toString('hex'),
    deploy_key_private: key.privateKey, deploy_key_public: key.publicKey,
    connected_by: actor.kind === 'user' ? actor.user.id : existing?.connected_by ?? app.owner_id,
  };
  const [saved] = await db('app_sources').insert(row).onConflict('app_id').merge().returning('*') as SourceRow[];
  return toView(app.name, saved!);
}

/** The app's source, or E_SOURCE_NOT_CONNECTED. */
export async function getSource(db: Knex, actor: Actor, appName: string): Promise<SourceView> {
  const app = await sourceApp(db, actor, appName);
  const row = await db('app_sources').where({ app_id: app.id }).first() as SourceRow | undefined;
  if (!row) throw new PaasError('E_SOURCE_NOT_CONNECTED', `${app.name} is not connected to a repository; connect one with git:connect ${app.name} URL`);
  return toView(app.name, row);
}

/** The app's source or undefined (the dashboard shows the form then). */
export async function findSource(db: Knex, actor: Actor, appName: string): Promise<SourceView | undefined> {
  try {
    return await getSource(db, actor, appName);
  } catch (err) {
    if (err instanceof PaasError && err.code === 'E_SOURCE_NOT_CONNECTED') return undefined;
    throw err;
  }
}

/** Disconnects the app: its secret, deploy key and delivery log go; webhooks are answered 404 from then on. */
export async function disconnectSource(db: Knex, actor: Actor, appName: string): Promise<void> {
  const app = await sourceApp(db, actor, appName);
  let gone = 0;
  await db.transaction(async (trx) => {
    await trx('webhook_deliveries').where({ app_id: app.id }).delete();
    gone = await trx('app_sources').where({ app_id: app.id }).delete();
  });
  if (gone === 0) throw new PaasError('E_SOURCE_NOT_CONNECTED', `${app.name} is not connected to a repository`);
}

/** The app's most recent webhook deliveries, newest first. */
export async function listDeliveries(db: Knex, actor: Actor, appName: string, limit = 20): Promise<DeliveryRow[]> {
  const app = await sourceApp(db, actor, appName);
  return db('webhook_deliveries as d').leftJoin('builds as b', 'b.id', 'd.build_id').where('d.app_id', app.id).orderBy('d.id', 'desc').limit(limit)
    .select('d.id', 'd.delivery_id', 'd.format', 'd.event', 'd.ref', 'd.rev', 'd.outcome', 'd.detail', 'd.build_id', 'd.received_at', 'b.number as build_number');
}
