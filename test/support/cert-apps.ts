// test/support/cert-apps.ts — apps as the certificate tests need them, written straight to the database: an app
// with a live release that has a web process (so it has hosts), its custom domains, and a router that records.
import crypto from 'node:crypto';
import type { Knex } from 'knex';
import type { CertificatePem } from '../../runtime/router.ts';
import type { CertificateRouter } from '../../controller/certificates.ts';

/** Creates app (owned by a new user) with a succeeded release whose build has a web process; returns its id. */
export async function deployedApp(db: Knex, name: string, domains: string[] = [], processTypes: Record<string, string> = { web: 'node server.js' }): Promise<number> {
  const [user] = await db('users').insert({ email: `${name}-${crypto.randomUUID()}@example.com`, password_hash: 'x' }).returning('id');
  const [app] = await db('apps').insert({ name, owner_id: (user as { id: number }).id }).returning('id');
  const appId = (app as { id: number }).id;
  const buildId = crypto.randomUUID();
  await db('builds').insert({ id: buildId, app_id: appId, number: 1, ref: 'refs/heads/main', rev: 'c0ffee'.padEnd(40, '0'), status: 'succeeded', process_types: JSON.stringify(processTypes), slug_dir: '/nonexistent' });
  const [release] = await db('releases').insert({ app_id: appId, version: 1, build_id: buildId, description: 'Deploy c0ffee0', status: 'succeeded' }).returning('id');
  await db('apps').where({ id: appId }).update({ current_release_id: (release as { id: number }).id });
  for (const hostname of domains) await db('domains').insert({ hostname, app_id: appId });
  return appId;
}

/** A router stand-in that records what the manager set (the router is ours; its internals are being rewritten). */
export interface RecordingRouter extends CertificateRouter {
  certs: Map<string, CertificatePem>;
  options: Map<string, { redirectHttps: boolean; hsts: boolean }>;
  platform?: { hosts: string[]; port: number; secret: string };
}

/** A RecordingRouter whose challenges go to sink (the test's responder, standing in for the router's HTTP port). */
export function recordingRouter(sink?: { set(token: string, ka: string): void; remove(token: string): void }): RecordingRouter {
  const r: RecordingRouter = {
    certs: new Map(), options: new Map(),
    setCertificate: (host, pem) => { if (pem) r.certs.set(host, pem); else r.certs.delete(host); },
    setChallenge: (token, ka) => { if (ka === undefined) sink?.remove(token); else sink?.set(token, ka); },
    setAppOptions: (app, o) => { r.options.set(app, o); },
    setPlatformRoute: (hosts, port, secret) => { r.platform = { hosts, port, secret }; },
  };
  return r;
}
