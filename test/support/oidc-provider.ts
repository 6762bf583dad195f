// test/support/oidc-provider.ts — a real OpenID Connect provider (npm oidc-provider, the certified implementation) on
// 127.0.0.1, port 0, for the sign-in tests: its own accounts (email, email_verified), one confidential client for the
// platform, and its development login and consent screens, which completeProviderLogin() fills in a playwright page.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Page } from 'playwright-core';

/** A test user at the provider, signed in by typing `login` (any password). */
export interface OidcAccount { email?: string; emailVerified?: boolean; name?: string; sub?: string }

export interface OidcProviderOptions {
  /** Accounts by login name. */
  accounts: Record<string, OidcAccount>;
  /** The platform's provider id (PAAS_OIDC_PROVIDERS), the path segment of its redirect URI; default `test`. */
  providerId?: string;
  /** Exact redirect URIs to register; default: the platform's callback on 127.0.0.1 and localhost at any port. */
  redirectUris?: string[];
}

export interface OidcProvider {
  issuer: string; clientId: string; clientSecret: string; providerId: string;
  /** The platform's environment for this provider (PAAS_OIDC_PROVIDERS and PAAS_OIDC_<ID>_*). */
  env(name?: string): Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the provider. Without `redirectUris`, the client is registered as a native (RFC 8252) client, for which
 * oidc-provider matches loopback redirect URIs at any port: the platform's port need not be known beforehand.
 */
export async function startOidcProvider(opts: OidcProviderOptions): Promise<OidcProvider> {
  const providerId = opts.providerId ?? 'test';
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = `paas-${crypto.randomBytes(4).toString('hex')}`, clientSecret = crypto.randomBytes(24).toString('base64url');
  const path = `/auth/oidc/${providerId}/callback`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: clientId, client_secret: clientSecret, grant_types: ['authorization_code'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...(opts.redirectUris ? { redirect_uris: opts.redirectUris } : { application_type: 'native', redirect_uris: [`http://127.0.0.1${path}`, `http://localhost${path}`] }),
    }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
    pkce: { required: () => true },
    async findAccount(_ctx, sub) {
      const entry = Object.entries(opts.accounts).find(([login, a]) => (a.sub ?? login) === sub);
      if (!entry) return undefined;
      const [login, a] = entry;
      return {
        accountId: a.sub ?? login,
        async claims() { return { sub: a.sub ?? login, ...(a.email ? { email: a.email, email_verified: a.emailVerified ?? false } : {}), name: a.name ?? login }; },
      };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer, clientId, clientSecret, providerId,
    env(name = 'Test ID') {
      const key = `PAAS_OIDC_${providerId.toUpperCase().replace(/-/g, '_')}`;
      return { PAAS_OIDC_PROVIDERS: providerId, [`${key}_ISSUER`]: issuer, [`${key}_CLIENT_ID`]: clientId, [`${key}_CLIENT_SECRET`]: clientSecret, [`${key}_NAME`]: name };
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/**
 * On the provider's login page: signs in as `login`, then on the consent screen continues (`consent: true`, the
 * default) or cancels, which sends `error=access_denied` back to the platform.
 */
export async function completeProviderLogin(page: Page, login: string, opts: { consent?: boolean } = {}): Promise<void> {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('any-password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).waitFor();
  if (opts.consent === false) await page.getByRole('link', { name: '[ Cancel ]' }).click();
  else await page.getByRole('button', { name: 'Continue' }).click();
}
