// web/dashboard/account-routes.ts — the account's API tokens (created and shown once, listed, revoked) and
// password change, which signs out every other session of the user.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { changePassword, createToken, listTokens, revokeToken } from '../../core/accounts/users.ts';
import { PaasError } from '../../core/errors.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';
import { requireUser, startSession } from './sessions.ts';

type TokenParams = { Params: { id: string } };

async function tokensPage(d: DashDeps, req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
  const tokens = await listTokens(d.db, requireUser(req).id);
  return sendPage(d, req, reply, 'tokens', { title: 'API tokens', nav: 'account', section: 'tokens', tokens, ...extra }, status);
}

async function ownToken(d: DashDeps, req: FastifyRequest, id: string) {
  const token = (await listTokens(d.db, requireUser(req).id)).find((t) => String(t.id) === id);
  if (!token) throw new PaasError('E_TOKEN_NOT_FOUND', 'You have no active token with that id; it may have been revoked already');
  return token;
}

/** Registers /account/tokens and /account/password. */
export function registerAccountRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get('/account/tokens', async (req, reply) => tokensPage(d, req, reply));

  app.post('/account/tokens', async (req, reply) => {
    const description = field(req, 'description').trim().slice(0, 200);
    const token = await createToken(d.db, requireUser(req).id, description);
    return tokensPage(d, req, reply, { created: token }, 201); // shown only in this response, never again
  });

  app.get<TokenParams>('/account/tokens/:id/revoke', async (req, reply) => {
    const t = await ownToken(d, req, req.params.id);
    return sendPage(d, req, reply, 'confirm', {
      title: 'Revoke API token', nav: 'account', action: `/account/tokens/${t.id}/revoke`, button: 'Revoke token', cancel: '/account/tokens',
      message: `Revoke the token ${t.prefix}…${t.description ? ` (${t.description})` : ''}? Anything using it (API calls, git over HTTP) stops working.`,
    });
  });

  app.post<TokenParams>('/account/tokens/:id/revoke', async (req, reply) => {
    const t = await ownToken(d, req, req.params.id);
    await revokeToken(d.db, requireUser(req).id, t.id);
    return redirect(req, reply, '/account/tokens', `Revoked token ${t.prefix}…`);
  });

  app.get('/account/password', async (req, reply) => {
    requireUser(req);
    return sendPage(d, req, reply, 'password', { title: 'Password', nav: 'account', section: 'password' });
  });

  app.post('/account/password', async (req, reply) => {
    const user = requireUser(req);
    const r = await attempt(async () => {
      if (field(req, 'new') !== field(req, 'confirm')) throw new PaasError('E_PASSWORD_INVALID', 'The new password and its confirmation differ');
      await changePassword(d.db, user.id, field(req, 'current'), field(req, 'new'));
    });
    if (!r.ok) return sendPage(d, req, reply, 'password', { title: 'Password', nav: 'account', section: 'password', error: errorView(r.error) }, r.error.status);
    await startSession(d.db, req, reply, user); // every old session (this one too) is gone; this browser gets a new one
    return redirect(req, reply, '/account/password', 'Password changed. Every other session was signed out.');
  });
}
