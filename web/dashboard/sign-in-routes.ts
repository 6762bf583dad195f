// web/dashboard/sign-in-routes.ts — sign-in with a provider: /auth/oidc/<id>/start sends the browser to it with a
// fresh flow (state, nonce, PKCE; its id in a 10-minute HttpOnly SameSite=Lax cookie), /auth/oidc/<id>/callback checks
// the answer, links or creates the account (core/accounts/identities.ts) and starts the same session a password does.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { userForIdentity } from '../../core/accounts/identities.ts';
import { FLOW_TTL_MS, startFlow, takeFlow } from '../../core/accounts/sign-in-flows.ts';
import type { PaasError } from '../../core/errors.ts';
import { authorizationUrl, identityFromAnswer, providerById, redirectUriOf } from '../../services/sso/sign-in.ts';
import { clientAddress, cookieName } from './edge.ts';
import { attempt, errorView, redirect, safeNext, sendPage, type DashDeps } from './respond.ts';
import { cookieOptions, startSession } from './sessions.ts';
import { signInOptions, publicBaseUrl } from './sign-in-options.ts';

const FLOW_COOKIE = 'paas_signin_flow';

/** The sign-in page again, with why the provider's sign-in did not sign anyone in. */
async function refused(d: DashDeps, req: FastifyRequest, reply: FastifyReply, error: PaasError): Promise<FastifyReply> {
  const ctx = { title: 'Sign in', nav: 'signin', narrow: true, next: '/apps', error: errorView(error), ...(await signInOptions(d)) };
  return sendPage(d, req, reply, 'signin', ctx, error.status);
}

type ProviderReq = FastifyRequest<{ Params: { provider: string }; Querystring: Record<string, string | undefined> }>;

/** Registers /auth/oidc/:provider/start and /auth/oidc/:provider/callback. */
export function registerSignInRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get('/auth/oidc/:provider/start', async (req: ProviderReq, reply) => {
    const r = await attempt(async () => {
      const p = providerById(d.config, req.params.provider);
      const invite = typeof req.query.invite === 'string' && req.query.invite.length <= 100 ? req.query.invite : undefined;
      const flow = await startFlow(d.db, p.id, safeNext(req.query.next), clientAddress(req), invite);
      const url = await authorizationUrl(p, redirectUriOf(publicBaseUrl(d, req), p), flow);
      return { url, id: flow.id };
    });
    if (!r.ok) return refused(d, req, reply, r.error);
    reply.setCookie(cookieName(req, FLOW_COOKIE), r.value.id, cookieOptions(req, FLOW_TTL_MS));
    return reply.header('cache-control', 'no-store').redirect(r.value.url, 303);
  });

  app.get('/auth/oidc/:provider/callback', async (req: ProviderReq, reply) => {
    const flowId = req.cookies[cookieName(req, FLOW_COOKIE)];
    if (flowId !== undefined) reply.clearCookie(cookieName(req, FLOW_COOKIE), cookieOptions(req));
    const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    const r = await attempt(async () => {
      const p = providerById(d.config, req.params.provider);
      const flow = await takeFlow(d.db, flowId, p.id);
      const identity = await identityFromAnswer(p, redirectUriOf(publicBaseUrl(d, req), p), query, flow);
      const user = await userForIdentity(d.db, identity, { isolation: d.config.isolation.mode, ...(flow.invite ? { invite: flow.invite } : {}) });
      return { user, next: flow.next, name: p.name };
    });
    if (!r.ok) {
      d.log.info({ reqId: req.id, code: r.error.code, provider: req.params.provider.slice(0, 40) }, 'provider sign-in refused');
      return refused(d, req, reply, r.error);
    }
    await startSession(d.db, req, reply, r.value.user);
    return redirect(req, reply, r.value.next, `Signed in with ${r.value.name} as ${r.value.user.email}.`);
  });
}
