// web/dashboard/app-certs-routes.ts — an app's HTTPS on its Domains page: upload a certificate (chain and key in two
// fields; the key is never rendered back), remove it after a confirmation, and switch the redirect and HSTS, as
// certs:add, certs:remove, certs:redirect and certs:hsts do. Access as for domains: whoever may use the app.
import type { FastifyInstance } from 'fastify';
import { PaasError } from '../../core/errors.ts';
import { parseOnOff } from '../../services/cert-view.ts';
import { addCertificate, removeCertificate, setHttpsOptions } from '../../services/certs.ts';
import { CERT_BODY_LIMIT } from '../api-schemas.ts';
import { loadApp } from './app-context.ts';
import { domainsPage } from './domains-page.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';

type AppParams = { Params: { app: string } };

/** Registers /apps/:app/certs, /apps/:app/certs/remove and /apps/:app/https. */
export function registerAppCertsRoutes(app: FastifyInstance, d: DashDeps): void {
  app.post<AppParams>('/apps/:app/certs', { bodyLimit: CERT_BODY_LIMIT }, async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'domains');
    const cert = field(req, 'cert');
    const r = await attempt(() => addCertificate(d.db, ctx.actor, ctx.app.name, cert, field(req, 'key'), d.config.baseDomain));
    // The chain comes back to be corrected (it is public, and capped); a key never does, even pasted in the chain's field.
    const shown = /PRIVATE KEY/.test(cert) ? '' : cert.slice(0, 65536);
    if (!r.ok) return domainsPage(d, req, reply, ctx, { certError: errorView(r.error), cert: shown }, r.error.status);
    const serves = r.value.hosts.length ? `It serves ${r.value.hosts.join(', ')}.` : `It covers none of ${ctx.app.name}'s hosts yet.`;
    return redirect(req, reply, `/apps/${ctx.app.name}/domains`, `Added a certificate for ${r.value.names.join(', ')}. ${serves}`);
  });

  app.get<AppParams>('/apps/:app/certs/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'domains');
    return sendPage(d, req, reply, 'confirm', {
      title: 'Remove certificate', nav: 'apps', action: `/apps/${ctx.app.name}/certs/remove`, fields: [],
      button: 'Remove the certificate', cancel: `/apps/${ctx.app.name}/domains`, message: `Remove ${ctx.app.name}'s uploaded certificate? Its hosts go back to automatic certificates (ACME), where they can have one.`,
    });
  });

  app.post<AppParams>('/apps/:app/certs/remove', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'domains');
    await removeCertificate(d.db, ctx.actor, ctx.app.name);
    return redirect(req, reply, `/apps/${ctx.app.name}/domains`, 'Removed the uploaded certificate.');
  });

  app.post<AppParams>('/apps/:app/https', async (req, reply) => {
    const ctx = await loadApp(d, req, req.params.app, 'domains');
    const option = field(req, 'option');
    const value = parseOnOff(field(req, 'value'));
    if ((option !== 'redirect' && option !== 'hsts') || value === undefined) throw new PaasError('E_BAD_REQUEST', 'Choose redirect or hsts, and on or off');
    await setHttpsOptions(d.db, ctx.actor, ctx.app.name, { [option]: value });
    const what = option === 'redirect' ? 'The HTTP→HTTPS redirect' : 'HSTS';
    return redirect(req, reply, `/apps/${ctx.app.name}/domains`, `${what} is ${value ? 'on' : 'off'}.`);
  });
}
