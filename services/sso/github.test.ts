// services/sso/github.test.ts — the GitHub adapter's pure parts against GitHub's documented payloads (REST API
// 2022-11-28: "Get the authenticated user", "List email addresses for the authenticated user", the OAuth token answer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from '../../core/errors.ts';
import { loadSignInConfig } from '../../core/sign-in-config.ts';
import { githubAuthorizationUrl, parseGithubToken, parseGithubUser, pickGithubEmail } from './github.ts';

const flow = { provider: 'github', state: 'st', nonce: 'n', verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk', next: '/apps' };

test('the authorize URL carries the client, the redirect URI, the scopes, the state and an S256 PKCE challenge', () => {
  const [p] = loadSignInConfig({ PAAS_OIDC_PROVIDERS: 'github', PAAS_OIDC_GITHUB_CLIENT_ID: 'Iv1.abc', PAAS_OIDC_GITHUB_CLIENT_SECRET: 's3cret' }).providers;
  const url = new URL(githubAuthorizationUrl(p!, 'https://paas.example.com/auth/oidc/github/callback', flow));
  assert.equal(url.origin + url.pathname, 'https://github.com/login/oauth/authorize');
  assert.equal(url.searchParams.get('client_id'), 'Iv1.abc');
  assert.equal(url.searchParams.get('redirect_uri'), 'https://paas.example.com/auth/oidc/github/callback');
  assert.equal(url.searchParams.get('scope'), 'read:user user:email');
  assert.equal(url.searchParams.get('state'), 'st');
  // RFC 7636 appendix B's example verifier and challenge.
  assert.equal(url.searchParams.get('code_challenge'), 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(url.searchParams.has('client_secret'), false);
});

test('the token answer gives the access token, and GitHub\'s 200-with-error is refused with its reason', () => {
  assert.equal(parseGithubToken({ access_token: 'gho_16C7e42F292c6912E7710c838347Ae178B4a', scope: 'repo,gist', token_type: 'bearer' }), 'gho_16C7e42F292c6912E7710c838347Ae178B4a');
  assert.throws(() => parseGithubToken({ error: 'bad_verification_code', error_description: 'The code passed is incorrect or expired.' }),
    (e) => isPaasError(e, 'E_SIGNIN_FAILED') && /bad_verification_code: The code passed is incorrect or expired/.test(e.message));
  assert.throws(() => parseGithubToken(undefined), (e) => isPaasError(e, 'E_SIGNIN_FAILED'));
  assert.throws(() => parseGithubToken({ access_token: '' }), (e) => isPaasError(e, 'E_SIGNIN_FAILED'));
});

test('the account is its numeric id, not its login (which can be renamed); anything else is refused', () => {
  assert.deepEqual(parseGithubUser({ login: 'octocat', id: 1, node_id: 'MDQ6VXNlcjE=', type: 'User', email: 'octocat@github.com' }), { subject: '1', login: 'octocat' });
  for (const bad of [{ login: 'octocat' }, { id: '1' }, { id: -1 }, { id: 1.5 }, null, []]) {
    assert.throws(() => parseGithubUser(bad), (e) => isPaasError(e, 'E_SIGNIN_FAILED'), JSON.stringify(bad));
  }
});

test('the email is the primary one, verified only when GitHub says so; a verified secondary does not stand in', () => {
  const emails = [
    { email: 'octocat@github.com', verified: true, primary: false, visibility: null },
    { email: 'octocat@example.com', verified: true, primary: true, visibility: 'public' },
  ];
  assert.deepEqual(pickGithubEmail(emails), { email: 'octocat@example.com', verified: true });
  assert.deepEqual(pickGithubEmail([{ ...emails[1], verified: false }, emails[0]]), { email: 'octocat@example.com', verified: false });
  assert.deepEqual(pickGithubEmail([emails[0]]), { verified: false });
  assert.deepEqual(pickGithubEmail({ message: 'Requires authentication' }), { verified: false });
  assert.deepEqual(pickGithubEmail([{ email: 'x@example.com', primary: 'true', verified: true }]), { verified: false });
});

test('providers are read from PAAS_OIDC_*: plain http only on loopback or when allowed, required fields named', () => {
  const env = { PAAS_OIDC_PROVIDERS: 'Keycloak, github', PAAS_OIDC_KEYCLOAK_ISSUER: 'https://sso.example.com/realms/dev/', PAAS_OIDC_KEYCLOAK_CLIENT_ID: 'paas', PAAS_OIDC_KEYCLOAK_CLIENT_SECRET: 'x', PAAS_OIDC_GITHUB_CLIENT_ID: 'a', PAAS_OIDC_GITHUB_CLIENT_SECRET: 'b', PAAS_PUBLIC_URL: 'https://paas.example.com' };
  const c = loadSignInConfig(env);
  assert.equal(c.publicUrl, 'https://paas.example.com');
  assert.deepEqual(c.providers.map((p) => [p.id, p.kind, p.name, p.issuer, p.allowHttp]), [
    ['keycloak', 'oidc', 'Keycloak', 'https://sso.example.com/realms/dev', false], ['github', 'github', 'GitHub', 'https://github.com', false]]);
  assert.equal(c.providers[1]!.apiUrl, 'https://api.github.com');
  assert.equal(loadSignInConfig({}).providers.length, 0);
  assert.equal(loadSignInConfig({ ...env, PAAS_OIDC_KEYCLOAK_ISSUER: 'http://127.0.0.1:8080/realms/dev' }).providers[0]!.allowHttp, true);
  assert.throws(() => loadSignInConfig({ ...env, PAAS_OIDC_KEYCLOAK_ISSUER: 'http://sso.example.com' }), /PAAS_OIDC_KEYCLOAK_ISSUER is plain http.*PAAS_OIDC_KEYCLOAK_ALLOW_HTTP=true/);
  assert.equal(loadSignInConfig({ ...env, PAAS_OIDC_KEYCLOAK_ISSUER: 'http://sso.lan', PAAS_OIDC_KEYCLOAK_ALLOW_HTTP: 'true' }).providers[0]!.allowHttp, true);
  assert.throws(() => loadSignInConfig({ ...env, PAAS_OIDC_KEYCLOAK_CLIENT_SECRET: '' }), /PAAS_OIDC_KEYCLOAK_CLIENT_ID and PAAS_OIDC_KEYCLOAK_CLIENT_SECRET are required/);
  assert.throws(() => loadSignInConfig({ ...env, PAAS_OIDC_KEYCLOAK_ISSUER: '' }), /PAAS_OIDC_KEYCLOAK_ISSUER is required/);
  assert.throws(() => loadSignInConfig({ ...env, PAAS_OIDC_PROVIDERS: 'github,github' }), /names "github" twice/);
  assert.throws(() => loadSignInConfig({ ...env, PAAS_OIDC_PROVIDERS: '../x' }), /is not a provider id/);
  assert.throws(() => loadSignInConfig({ ...env, PAAS_OIDC_KEYCLOAK_TYPE: 'saml' }), /must be oidc or github/);
  assert.throws(() => loadSignInConfig({ ...env, PAAS_PUBLIC_URL: 'https://paas.example.com/dash' }), /PAAS_PUBLIC_URL must be/);
  assert.throws(() => loadSignInConfig({ ...env, PAAS_OIDC_KEYCLOAK_ISSUER: 'ftp://x' }), /must be an https:\/\/ URL/);
});
