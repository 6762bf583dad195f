// core/sign-in-config.ts — the sign-in providers (OpenID Connect issuers and GitHub) and the platform's public URL,
// read once at boot from PAAS_OIDC_* and PAAS_PUBLIC_URL (docs/user/sign-in.md); core/config.ts holds the result.

/** One configured provider: `oidc` (discovery at `issuer`) or `github` (OAuth 2 at `issuer`, REST API at `apiUrl`). */
export interface SignInProvider {
  id: string;
  kind: 'oidc' | 'github';
  /** What the sign-in button says: "Sign in with <name>". */
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  /** Plain-HTTP issuer allowed: a loopback issuer, or PAAS_OIDC_<ID>_ALLOW_HTTP=true (never on the open internet). */
  allowHttp: boolean;
  /** GitHub only: the REST API base (https://api.github.com, or a GitHub Enterprise Server's /api/v3). */
  apiUrl?: string;
}

export interface SignInConfig {
  /** PAAS_PUBLIC_URL: the dashboard's address as browsers reach it (redirect URIs); unset: from each request's Host. */
  publicUrl?: string;
  providers: readonly SignInProvider[];
}

const ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** The URL in `raw`, http(s) only, without a trailing slash; a plain-http one only when loopback or allowed. */
function toBaseUrl(name: string, raw: string, allowHttp: boolean): { url: string; http: boolean } {
  let url: URL;
  try { url = new URL(raw); } catch { throw new Error(`${name} must be an https:// URL, got "${raw.slice(0, 80)}"`); }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${name} must be an https:// URL, got "${raw.slice(0, 80)}"`);
  const http = url.protocol === 'http:';
  if (http && !allowHttp && !LOOPBACK.has(url.hostname)) {
    throw new Error(`${name} is plain http (${url.host}): use https, or set ${name.replace(/_(ISSUER|URL|API_URL)$/, '')}_ALLOW_HTTP=true on a trusted network`);
  }
  return { url: url.href.replace(/\/+$/, ''), http };
}

/** One provider from PAAS_OIDC_<ID>_*; the id is the path segment of its redirect URI. */
function toProvider(env: NodeJS.ProcessEnv, id: string): SignInProvider {
  if (!ID.test(id)) throw new Error(`PAAS_OIDC_PROVIDERS: "${id.slice(0, 40)}" is not a provider id (a-z, 0-9, hyphens; up to 32)`);
  const key = `PAAS_OIDC_${id.toUpperCase().replace(/-/g, '_')}`;
  const get = (suffix: string) => env[`${key}_${suffix}`]?.trim() || undefined;
  const kind = (get('TYPE') ?? (id === 'github' ? 'github' : 'oidc')) as SignInProvider['kind'];
  if (kind !== 'oidc' && kind !== 'github') throw new Error(`${key}_TYPE must be oidc or github, got "${kind}"`);
  const clientId = get('CLIENT_ID'), clientSecret = get('CLIENT_SECRET');
  if (!clientId || !clientSecret) throw new Error(`${key}_CLIENT_ID and ${key}_CLIENT_SECRET are required for the provider "${id}"`);
  const allowHttp = get('ALLOW_HTTP') === 'true';
  const rawIssuer = get('ISSUER') ?? (kind === 'github' ? 'https://github.com' : undefined);
  if (!rawIssuer) throw new Error(`${key}_ISSUER is required for the OpenID Connect provider "${id}"`);
  const issuer = toBaseUrl(`${key}_ISSUER`, rawIssuer, allowHttp);
  const api = kind === 'github' ? toBaseUrl(`${key}_API_URL`, get('API_URL') ?? 'https://api.github.com', allowHttp) : undefined;
  const fallbackName = kind === 'github' ? 'GitHub' : id.charAt(0).toUpperCase() + id.slice(1);
  return Object.freeze({
    id, kind, name: (get('NAME') ?? fallbackName).slice(0, 60), issuer: issuer.url, clientId, clientSecret,
    scopes: get('SCOPES') ?? (kind === 'github' ? 'read:user user:email' : 'openid email profile'),
    allowHttp: issuer.http || Boolean(api?.http), ...(api ? { apiUrl: api.url } : {}),
  });
}

/** PAAS_PUBLIC_URL: scheme, host and port only (no path, query or credentials). */
function toPublicUrl(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  let url: URL;
  try { url = new URL(value); } catch { throw new Error(`PAAS_PUBLIC_URL must be a URL such as https://paas.example.com, got "${value.slice(0, 80)}"`); }
  if (!/^https?:$/.test(url.protocol) || url.pathname !== '/' || url.search || url.username || url.password) {
    throw new Error(`PAAS_PUBLIC_URL must be http(s)://host[:port] with no path, got "${value.slice(0, 80)}"`);
  }
  return url.origin;
}

/** Reads PAAS_PUBLIC_URL and PAAS_OIDC_PROVIDERS (comma-separated ids) with each id's PAAS_OIDC_<ID>_* variables. */
export function loadSignInConfig(env: NodeJS.ProcessEnv): SignInConfig {
  const ids = (env.PAAS_OIDC_PROVIDERS ?? '').split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`PAAS_OIDC_PROVIDERS names "${dup}" twice`);
  return Object.freeze({ publicUrl: toPublicUrl(env.PAAS_PUBLIC_URL), providers: Object.freeze(ids.map((id) => toProvider(env, id))) });
}
