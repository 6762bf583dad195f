// web/dashboard/domains-page.ts — an app's Domains page: its hosts, each with its HTTPS certificate (pending, issued
// with expiry, failed with the reason, uploaded), the upload form and the redirect/HSTS switches. Rendered by the
// domain routes (app-resources-routes.ts) and the certificate routes (app-certs-routes.ts), with their form errors.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { listDomains } from '../../services/apps.ts';
import { hostCertViews, httpsUnavailable } from '../../services/cert-view.ts';
import { listCertificates } from '../../services/certs.ts';
import { appPageCtx, type AppContext } from './app-context.ts';
import { sendPage, type DashDeps } from './respond.ts';

/** Sends the Domains page; `extra` carries a form's error (`error` for domains, `certError` for the upload) and its input. */
export async function domainsPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, ctx: AppContext, extra: Record<string, unknown> = {}, status = 200): Promise<FastifyReply> {
  const [domains, certs] = await Promise.all([listDomains(d.db, ctx.app.id), listCertificates(d.db, ctx.actor, ctx.app.name, d.config)]);
  const views = new Map(hostCertViews(certs, d.config).map((v) => [v.host, v]));
  const defaultHost = `${ctx.app.name}.${d.config.baseDomain}`;
  return sendPage(d, req, reply, 'app-domains', appPageCtx(ctx, 'Domains', {
    domains: domains.map((host) => ({ host, cert: views.get(host) })), defaultHost, defaultCert: views.get(defaultHost),
    httpsOff: httpsUnavailable(d.config), upload: certs.upload && { names: certs.upload.names.join(', '), expiresAt: certs.upload.expiresAt.toISOString().slice(0, 10) },
    https: certs.https, ...extra,
  }), status);
}
