// web/dashboard/auth-routes.ts — sign-up (the first user becomes admin; later ones while sign-ups are open),
// sign-in (rate-limited, one answer for unknown email and wrong password) and sign-out.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from '../../core/accounts/login.ts';
import { signUp } from '../../core/accounts/users.ts';
import { getSettings } from '../../core/settings.ts';
import { attempt, errorView, field, redirect, safeNext, sendPage, type DashDeps } from './respond.ts';
import { endSession, startSession } from './sessions.ts';

/** Whether a visitor may sign up now: always for the very first user, then while an admin keeps sign-ups open. */
async function signupsOpen(d: DashDeps): Promise<boolean> {
  const anyone = await d.db('users').first('id');
  return !anyone || (await getSettings(d.db)).signupsOpen;
}

const clientAddress = (req: FastifyRequest) => req.ip || req.socket.remoteAddress || 'unknown';

/** Registers /, /signin, /signup and /signout. */
export function registerAuthRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get('/', async (req, reply) => reply.redirect(req.auth.user ? '/apps' : '/signin', 303));

  app.get<{ Querystring: { next?: string; expired?: string } }>('/signin', async (req, reply) => {
    if (req.auth.user) return reply.redirect('/apps', 303);
    const notice = req.query.expired ? 'Your session has ended. Sign in again.' : undefined;
    return sendPage(d, req, reply, 'signin', { title: 'Sign in', nav: 'signin', narrow: true, next: safeNext(req.query.next), notice });
  });

  app.post('/signin', async (req, reply) => {
    const email = field(req, 'email');
    const r = await attempt(() => authenticate(d.db, email, field(req, 'password'), clientAddress(req)));
    if (!r.ok) {
      const ctx = { title: 'Sign in', nav: 'signin', narrow: true, next: safeNext(field(req, 'next')), email, error: errorView(r.error) };
      return sendPage(d, req, reply, 'signin', ctx, r.error.status);
    }
    await startSession(d.db, req, reply, r.value);
    return redirect(req, reply, safeNext(field(req, 'next')));
  });

  app.get('/signup', async (req, reply) => {
    if (req.auth.user) return reply.redirect('/apps', 303);
    const first = !(await d.db('users').first('id'));
    return sendPage(d, req, reply, 'signup', { title: 'Sign up', nav: 'signup', narrow: true, open: await signupsOpen(d), first });
  });

  app.post('/signup', async (req, reply) => {
    const email = field(req, 'email');
    const r = await attempt(() => signUp(d.db, email, field(req, 'password')));
    if (!r.ok) {
      const ctx = { title: 'Sign up', nav: 'signup', narrow: true, open: await signupsOpen(d), email, error: errorView(r.error) };
      return sendPage(d, req, reply, 'signup', ctx, r.error.status);
    }
    await startSession(d.db, req, reply, r.value);
    const welcome = r.value.isAdmin ? `Welcome, ${r.value.email}. You are the first user, so you are the admin.` : `Welcome, ${r.value.email}.`;
    return redirect(req, reply, '/apps', `${welcome} Add an SSH key next, then create an app and git push.`);
  });

  app.post('/signout', { config: { csrfWhenSignedOut: false } }, async (req, reply) => {
    await endSession(d.db, req, reply);
    return redirect(req, reply, '/signin', 'You are signed out.');
  });
}
