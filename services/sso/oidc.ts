// services/sso/oidc.ts — OpenID Connect sign-in with openid-client: the authorization URL (PKCE S256, state, nonce)
// and the callback's checks (state, nonce, ID token, issuer), giving the identity the provider vouched for.
import * as client from 'openid-client';
import type { ProviderIdentity } from '../../core/accounts/identities.ts';
import type { SignInFlow } from '../../core/accounts/sign-in-flows.ts';
import { PaasError } from '../../core/errors.ts';
import type { SignInProvider } from '../../core/sign-in-config.ts';

/** Discovered issuers, per provider id (discovery runs on the first sign-in; a failed one is tried again next time). */
const discovered = new Map<string, Promise<client.Configuration>>();

/** The provider's configuration from its discovery document; plain http only where the config allowed it. */
export function configurationOf(p: SignInProvider): Promise<client.Configuration> {
  const key = `${p.id}|${p.issuer}|${p.clientId}`;
  let found = discovered.get(key);
  if (!found) {
    found = client.discovery(new URL(p.issuer), p.clientId, undefined, client.ClientSecretBasic(p.clientSecret),
      p.allowHttp ? { execute: [client.allowInsecureRequests], timeout: 10 } : { timeout: 10 });
    found.catch(() => discovered.delete(key));
    discovered.set(key, found);
  }
  return found.catch((err: unknown) => {
    throw new PaasError('E_SIGNIN_FAILED', `${p.name} could not be reached to sign in (${describe(err)}); try again later or ask an admin`, { cause: err });
  });
}

/** Where to send the browser: the provider's authorization endpoint with this flow's state, nonce and PKCE challenge. */
export async function oidcAuthorizationUrl(p: SignInProvider, redirectUri: string, flow: SignInFlow): Promise<string> {
  const config = await configurationOf(p);
  return client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: p.scopes, state: flow.state, nonce: flow.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(flow.verifier), code_challenge_method: 'S256',
  }).href;
}

/** A short, single-line reason from an openid-client error (never a token or a body). */
function describe(err: unknown): string {
  const e = err as { code?: string; message?: string; error?: string };
  return `${e.error ?? e.code ?? 'error'}: ${String(e.message ?? '').replace(/\s+/g, ' ').slice(0, 160)}`;
}

/**
 * Which check failed when it was this browser's flow that did not match (the state parameter, the ID token's nonce)
 * rather than the provider failing; openid-client nests oauth4webapi's error (`claim: 'nonce'`) in `cause`.
 */
function mismatchOf(err: unknown): 'state' | 'nonce' | undefined {
  for (let e = err as { message?: string; cause?: unknown; claim?: string } | undefined, i = 0; e && i < 4; e = e.cause as typeof e, i++) {
    if (e.claim === 'nonce' || /"nonce"/.test(String(e.message))) return 'nonce';
    if (/"state"/.test(String(e.message))) return 'state';
  }
  return undefined;
}

/**
 * Completes the sign-in from the callback's query: exchanges the code (PKCE), checks state, nonce and the ID token,
 * and reads email and email_verified from the ID token or, when it has none, from the userinfo endpoint.
 */
export async function oidcIdentity(p: SignInProvider, redirectUri: string, query: URLSearchParams, flow: SignInFlow): Promise<ProviderIdentity> {
  const config = await configurationOf(p);
  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(config, new URL(`${redirectUri}?${query}`), {
      pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true,
    });
  } catch (err) {
    const mismatch = mismatchOf(err);
    if (mismatch) throw new PaasError('E_SIGNIN_INVALID', `The answer from ${p.name} does not match the sign-in this browser started (${mismatch} mismatch). Nobody was signed in; start again`, { cause: err });
    throw new PaasError('E_SIGNIN_FAILED', `${p.name} did not complete the sign-in (${describe(err)})`, { cause: err });
  }
  const claims = tokens.claims()!;
  let email = claims.email, verified = claims.email_verified;
  if (email === undefined) {
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub).catch((err: unknown) => {
      throw new PaasError('E_SIGNIN_FAILED', `${p.name} did not give your email (${describe(err)})`, { cause: err });
    });
    email = info.email; verified = info.email_verified;
  }
  return { provider: p.id, subject: claims.sub, email: typeof email === 'string' ? email : undefined, emailVerified: verified === true };
}
