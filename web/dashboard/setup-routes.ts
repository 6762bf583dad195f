// web/dashboard/setup-routes.ts — /setup: the one-time set-up link of a fresh install creates the first admin.
// The link's token is the only way to an admin account from the dashboard; once any user exists, /setup is gone.
import type { FastifyInstance } from 'fastify';
import { badSetupToken, isSetupToken, needsSetup } from '../../core/accounts/invites.ts';
import { signUp } from '../../core/accounts/users.ts';
import { PaasError } from '../../core/errors.ts';
import { attempt, errorView, field, redirect, sendPage, type DashDeps } from './respond.ts';
import { startSession } from './sessions.ts';

const gone = () => new PaasError('E_NOT_FOUND', 'There is no such page');

/** Registers GET and POST /setup. */
export function registerSetupRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get<{ Querystring: { token?: string } }>('/setup', async (req, reply) => {
    if (!(await needsSetup(d.db))) throw gone();
    if (!(await isSetupToken(d.db, req.query.token))) throw badSetupToken();
    return sendPage(d, req, reply, 'setup', { title: 'Set up', narrow: true, token: req.query.token });
  });

  app.post('/setup', async (req, reply) => {
    if (!(await needsSetup(d.db))) throw gone();
    const email = field(req, 'email'), token = field(req, 'token');
    const r = await attempt(() => signUp(d.db, email, field(req, 'password'), { kind: 'setup', token }));
    if (!r.ok) {
      if (r.error.code === 'E_SETUP_TOKEN_INVALID' || r.error.code === 'E_NOT_FOUND') throw r.error;
      return sendPage(d, req, reply, 'setup', { title: 'Set up', narrow: true, token, email, error: errorView(r.error) }, r.error.status);
    }
    await startSession(d.db, req, reply, r.value);
    return redirect(req, reply, '/admin', `Welcome, ${r.value.email}. You are this platform's admin. Invite users from this page.`);
  });
}
