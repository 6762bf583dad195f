// services/https-edge.ts — an app's HTTPS at the edge as the platform itself needs it (no actor: the controller's and
// the runtimes' view): the redirect/HSTS options and uploaded certificate a ReleaseSpec carries (Kubernetes turns it
// into a TLS Secret), and whether the app's host has a certificate (release-spec.ts's liveAppUrl). certs.ts is the users' side.
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import { namesCover } from '../core/cert-names.ts';
import type { Config } from '../core/config.ts';
import type { ReleaseEdge } from '../runtime/types.ts';
import { appHosts } from './certs.ts';

type EdgeColumns = { https_redirect?: boolean; hsts?: boolean };

/** The app's uploaded certificate row, if it has one that has not expired. */
async function liveUpload(db: Knex, appId: number): Promise<{ cert_pem: string; key_pem: string; names: string[] } | undefined> {
  return db('certificates').where({ app_id: appId, source: 'upload', state: 'issued' }).where('expires_at', '>', db.fn.now()).first('cert_pem', 'key_pem', 'names');
}

/** The app's edge for a ReleaseSpec: its options, and its uploaded certificate with the hosts (of `domains` and its own) it covers. */
export async function appEdge(db: Knex, baseDomain: string, app: AppRow, domains: string[]): Promise<ReleaseEdge> {
  const row = (await db('apps').where({ id: app.id }).first('https_redirect', 'hsts')) as EdgeColumns | undefined;
  const upload = await liveUpload(db, app.id);
  const hosts = upload ? appHosts(baseDomain, app.name, domains).filter((h) => namesCover(upload.names, h)) : [];
  return {
    redirectHttps: Boolean(row?.https_redirect), hsts: Boolean(row?.hsts),
    ...(upload && hosts.length ? { uploaded: { cert: upload.cert_pem, key: upload.key_pem, hosts } } : {}),
  };
}

/** True when `<app>.<base domain>` is served with a certificate now: an issued ACME one, or an upload that covers it. */
export async function hostHasCertificate(db: Knex, baseDomain: string, app: AppRow): Promise<boolean> {
  const host = `${app.name}.${baseDomain}`;
  const upload = await liveUpload(db, app.id);
  if (upload && namesCover(upload.names, host)) return true;
  const acme = await db('certificates').where({ app_id: app.id, source: 'acme', host, state: 'issued' }).where('expires_at', '>', db.fn.now()).first('id');
  return acme !== undefined;
}
