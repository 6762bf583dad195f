// services/sso/github.ts — sign-in with GitHub, which speaks OAuth 2 (not OpenID Connect): the authorize URL, the code
// exchange, and the account's id and verified primary email from the REST API. Base URLs come from the config, so a
// GitHub Enterprise Server works too. The parse functions take GitHub's documented payloads and do no I/O.
import crypto from 'node:crypto';
import type { ProviderIdentity } from '../../core/accounts/identities.ts';
import type { SignInFlow } from '../../core/accounts/sign-in-flows.ts';
import { PaasError } from '../../core/errors.ts';
import type { SignInProvider } from '../../core/sign-in-config.ts';

const API_HEADERS = { accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'paas-sign-in' };
const TIMEOUT_MS = 10_000;

const failed = (p: SignInProvider, why: string) => new PaasError('E_SIGNIN_FAILED', `${p.name} did not complete the sign-in (${why.slice(0, 200)})`);

/** GitHub's authorize URL for this flow (state, and a PKCE S256 challenge, which GitHub accepts). */
export function githubAuthorizationUrl(p: SignInProvider, redirectUri: string, flow: SignInFlow): string {
  const url = new URL(`${p.issuer}/login/oauth/authorize`);
  const challenge = crypto.createHash('sha256').update(flow.verifier).digest('base64url');
  url.search = new URLSearchParams({
    client_id: p.clientId, redirect_uri: redirectUri, scope: p.scopes, state: flow.state, allow_signup: 'true',
    code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  return url.href;
}

/** The access token from the token endpoint's JSON; GitHub answers 200 with `error` when the code is bad. */
export function parseGithubToken(body: unknown): string {
  const b = (body ?? {}) as { access_token?: unknown; error?: unknown; error_description?: unknown };
  if (typeof b.access_token === 'string' && b.access_token !== '') return b.access_token;
  const why = typeof b.error === 'string' ? `${b.error}${typeof b.error_description === 'string' ? `: ${b.error_description}` : ''}` : 'no access token';
  throw new PaasError('E_SIGNIN_FAILED', `GitHub refused the sign-in code (${why.slice(0, 200)})`);
}

/** The account's stable numeric id from GET /user (the login can be renamed; the id cannot). */
export function parseGithubUser(body: unknown): { subject: string; login: string } {
  const b = (body ?? {}) as { id?: unknown; login?: unknown };
  if (typeof b.id !== 'number' || !Number.isSafeInteger(b.id) || b.id <= 0) throw new PaasError('E_SIGNIN_FAILED', 'GitHub gave no account id');
  return { subject: String(b.id), login: typeof b.login === 'string' ? b.login : '' };
}

/** The primary email from GET /user/emails, and whether GitHub verified it; no primary: none. */
export function pickGithubEmail(body: unknown): { email?: string; verified: boolean } {
  if (!Array.isArray(body)) return { verified: false };
  const primary = body.find((e) => e && typeof e === 'object' && e.primary === true && typeof e.email === 'string');
  return primary ? { email: primary.email as string, verified: primary.verified === true } : { verified: false };
}

/** GETs one API path with the token; E_SIGNIN_FAILED on anything but 200 JSON. */
async function api(p: SignInProvider, token: string, path: string): Promise<unknown> {
  const res = await fetch(`${p.apiUrl}${path}`, { headers: { ...API_HEADERS, authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) })
    .catch((err: unknown) => { throw failed(p, `${path}: ${(err as Error).message}`); });
  if (res.status !== 200) throw failed(p, `${path} answered ${res.status}`);
  return res.json().catch(() => { throw failed(p, `${path} did not answer JSON`); });
}

/** Exchanges the code (with the PKCE verifier) for an access token. */
async function exchange(p: SignInProvider, redirectUri: string, code: string, flow: SignInFlow): Promise<string> {
  const body = new URLSearchParams({ client_id: p.clientId, client_secret: p.clientSecret, code, redirect_uri: redirectUri, code_verifier: flow.verifier });
  const res = await fetch(`${p.issuer}/login/oauth/access_token`, { method: 'POST', body, headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) })
    .catch((err: unknown) => { throw failed(p, (err as Error).message); });
  if (res.status !== 200) throw failed(p, `the token endpoint answered ${res.status}`);
  return parseGithubToken(await res.json().catch(() => undefined));
}

/** Equal strings, compared in constant time. */
function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** Completes a GitHub sign-in from the callback's query: state check, code exchange, account id and primary email. */
export async function githubIdentity(p: SignInProvider, redirectUri: string, query: URLSearchParams, flow: SignInFlow): Promise<ProviderIdentity> {
  if (!sameString(query.get('state') ?? '', flow.state)) {
    throw new PaasError('E_SIGNIN_INVALID', `The answer from ${p.name} does not match the sign-in this browser started (state mismatch). Nobody was signed in; start again`);
  }
  const code = query.get('code');
  if (!code || code.length > 200) throw failed(p, 'no code in the answer');
  const token = await exchange(p, redirectUri, code, flow);
  const user = parseGithubUser(await api(p, token, '/user'));
  const email = pickGithubEmail(await api(p, token, '/user/emails'));
  return { provider: p.id, subject: user.subject, email: email.email, emailVerified: email.verified };
}
