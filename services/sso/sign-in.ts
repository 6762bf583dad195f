// services/sso/sign-in.ts — sign-in with a configured provider, whichever protocol it speaks (OpenID Connect or
// GitHub's OAuth 2): its redirect URI, where to send the browser, and the identity its answer proves.
import type { ProviderIdentity } from '../../core/accounts/identities.ts';
import type { SignInFlow } from '../../core/accounts/sign-in-flows.ts';
import type { Config } from '../../core/config.ts';
import { PaasError } from '../../core/errors.ts';
import type { SignInProvider } from '../../core/sign-in-config.ts';
import { githubAuthorizationUrl, githubIdentity } from './github.ts';
import { oidcAuthorizationUrl, oidcIdentity } from './oidc.ts';

/** The configured provider with this id, or E_SIGNIN_PROVIDER_UNKNOWN. */
export function providerById(config: Config, id: string): SignInProvider {
  const p = config.signIn.providers.find((x) => x.id === id);
  if (!p) throw new PaasError('E_SIGNIN_PROVIDER_UNKNOWN', `There is no sign-in provider "${id.slice(0, 40)}" on this platform`);
  return p;
}

/** The callback URL to register at the provider: `<public URL>/auth/oidc/<id>/callback`. */
export function redirectUriOf(baseUrl: string, p: SignInProvider): string {
  return `${baseUrl}/auth/oidc/${p.id}/callback`;
}

/** Where to send the browser to sign in at the provider. */
export function authorizationUrl(p: SignInProvider, redirectUri: string, flow: SignInFlow): Promise<string> {
  return p.kind === 'github' ? Promise.resolve(githubAuthorizationUrl(p, redirectUri, flow)) : oidcAuthorizationUrl(p, redirectUri, flow);
}

/**
 * The identity the provider's answer (the callback's query) proves for this flow. An `error` answer is refused:
 * access_denied (the user said no, or the provider would not let them) as E_SIGNIN_DENIED, others as E_SIGNIN_FAILED.
 */
export async function identityFromAnswer(p: SignInProvider, redirectUri: string, query: URLSearchParams, flow: SignInFlow): Promise<ProviderIdentity> {
  const error = query.get('error');
  if (error === 'access_denied') {
    throw new PaasError('E_SIGNIN_DENIED', `The sign-in with ${p.name} was cancelled or not allowed there, so you are not signed in. Try again, or use another way to sign in`);
  }
  if (error !== null) {
    const said = `${error}${query.get('error_description') ? `: ${query.get('error_description')}` : ''}`.replace(/\s+/g, ' ').slice(0, 200);
    throw new PaasError('E_SIGNIN_FAILED', `${p.name} refused the sign-in (${said})`);
  }
  return p.kind === 'github' ? githubIdentity(p, redirectUri, query, flow) : oidcIdentity(p, redirectUri, query, flow);
}
