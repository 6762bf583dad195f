// web/dashboard/sign-in-options.ts — what the sign-in and sign-up pages offer: a "Sign in with <name>" button per
// configured provider (carrying the return path or the invite) and whether the password form is shown.
import type { FastifyRequest } from 'fastify';
import { getSettings } from '../../core/settings.ts';
import type { DashDeps } from './respond.ts';
import { isTls } from './edge.ts';

export interface SignInOptions { providers: Array<{ id: string; name: string; href: string }>; passwordSignIn: boolean }

/** The buttons (links to /auth/oidc/<id>/start) and the password form's switch, for the sign-in and sign-up pages. */
export async function signInOptions(d: DashDeps, carry: { next?: string; invite?: string } = {}): Promise<SignInOptions> {
  const query = new URLSearchParams({ ...(carry.next && carry.next !== '/apps' ? { next: carry.next } : {}), ...(carry.invite ? { invite: carry.invite } : {}) }).toString();
  const providers = d.config.signIn.providers.map((p) => ({ id: p.id, name: p.name, href: `/auth/oidc/${p.id}/start${query ? `?${query}` : ''}` }));
  return { providers, passwordSignIn: (await getSettings(d.db)).passwordSignIn };
}

/** The dashboard's address as the browser reaches it: PAAS_PUBLIC_URL, else this request's scheme and Host. */
export function publicBaseUrl(d: DashDeps, req: FastifyRequest): string {
  return d.config.signIn.publicUrl ?? `${isTls(req) ? 'https' : 'http'}://${req.host}`;
}
