// web/dashboard/auth-routes.ts — sign-up (with an admin's invite link, or while an admin keeps sign-ups open; the
// first admin comes from /setup), sign-in (rate-limited, one answer for unknown email and wrong password), sign-out.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from '../../core/accounts/login.ts';
import { badInvite, isOpenInvite, needsSetup } from '../../core/accounts/invites.ts';
import { signUp } from '../../core/accounts/users.ts';
import { PaasError } from '../../core/errors.ts';
import { getSettings, signupsAllowed } from '../../core/settings.ts';
import { attempt, errorView, field, redirect, safeNext, sendPage, type DashDeps } from './respond.ts';
import { endSession, startSession } from './sessions.ts';
import { clientAddress } from './edge.ts';
import { signInOptions } from './sign-in-options.ts';

/** Throws E_PASSWORD_SIGNIN_OFF when an admin turned password sign-in (and password sign-up) off. */
async function requirePasswordSignIn(d: DashDeps): Promise<void> {
  if (!(await getSettings(d.db)).passwordSignIn) {
    throw new PaasError('E_PASSWORD_SIGNIN_OFF', 'Password sign-in is turned off on this platform: sign in with one of the providers listed on this page');
  }
}

/** What the sign-up page offers: the form (with an invite, or while sign-ups are open), or why not. */
async function signupState(d: DashDeps, invite: string): Promise<{ open: boolean; first: boolean; invite?: string }> {
  if (await needsSetup(d.db)) return { open: false, first: true };
  if (invite) {
    if (!(await isOpenInvite(d.db, invite))) throw badInvite();
    return { open: true, first: false, invite };
  }
  return { open: signupsAllowed(await getSettings(d.db), d.config.isolation.mode), first: false };
}


/** Registers /signin, /signup and /signout (/ is the landing page, web/dashboard/docs-routes.ts). */
export function registerAuthRoutes(app: FastifyInstance, d: DashDeps): void {
  app.get<{ Querystring: { next?: string; expired?: string } }>('/signin', async (req, reply) => {
    if (req.auth.user) return reply.redirect('/apps', 303);
    const notice = req.query.expired ? 'Your session has ended. Sign in again.' : undefined;
    const next = safeNext(req.query.next);
    return sendPage(d, req, reply, 'signin', { title: 'Sign in', nav: 'signin', narrow: true, next, notice, ...(await signInOptions(d, { next })) });
  });

  app.post('/signin', async (req, reply) => {
    const email = field(req, 'email');
    const r = await attempt(async () => {
      await requirePasswordSignIn(d);
      return authenticate(d.db, email, field(req, 'password'), clientAddress(req));
    });
    if (!r.ok) {
      const next = safeNext(field(req, 'next'));
      const ctx = { title: 'Sign in', nav: 'signin', narrow: true, next, email, error: errorView(r.error), ...(await signInOptions(d, { next })) };
      return sendPage(d, req, reply, 'signin', ctx, r.error.status);
    }
    await startSession(d.db, req, reply, r.value);
    return redirect(req, reply, safeNext(field(req, 'next')));
  });

  app.get<{ Querystring: { invite?: string } }>('/signup', async (req, reply) => {
    if (req.auth.user) return reply.redirect('/apps', 303);
    const state = await signupState(d, String(req.query.invite ?? ''));
    const options = await signInOptions(d, { invite: state.invite });
    return sendPage(d, req, reply, 'signup', { title: 'Sign up', nav: 'signup', narrow: true, ...state, ...options }, state.open || state.first ? 200 : 403);
  });

  app.post('/signup', async (req, reply) => {
    const email = field(req, 'email'), invite = field(req, 'invite');
    const by = { kind: 'visitor', isolation: d.config.isolation.mode, ...(invite ? { invite } : {}) } as const;
    const r = await attempt(async () => {
      await requirePasswordSignIn(d);
      return signUp(d.db, email, field(req, 'password'), by);
    });
    if (!r.ok) {
      const state = await attempt(() => signupState(d, invite));
      const options = await signInOptions(d, { invite: state.ok ? state.value.invite : undefined });
      const ctx = { title: 'Sign up', nav: 'signup', narrow: true, ...(state.ok ? state.value : { open: false, first: false }), ...options, email, error: errorView(r.error) };
      return sendPage(d, req, reply, 'signup', ctx, r.error.status);
    }
    await startSession(d.db, req, reply, r.value);
    return redirect(req, reply, '/apps', `Welcome, ${r.value.email}. Add an SSH key next, then create an app and git push.`);
  });

  app.post('/signout', { config: { csrfWhenSignedOut: false } }, async (req, reply) => {
    await endSession(d.db, req, reply);
    return redirect(req, reply, '/signin', 'You are signed out.');
  });
}
