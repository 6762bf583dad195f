// core/config.ts — reads the environment once at boot into one object that every process passes down.
import os from 'node:os';
import path from 'node:path';
import { defaultPath } from './app-env.ts';
import { Endpoints } from './endpoints.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits.ts';
import { loadGitLimits, type GitLimits } from './git-limits.ts';
import { positiveNumber, wholeNumber } from './env-numbers.ts';
import { loadMetricsConfig, loadTracingConfig, type MetricsConfig, type TracingConfig } from './observability-config.ts';
import { RESERVED_NAMES } from './names.ts';
import { loadWebhookConfig, toBool, type WebhookConfig } from './webhook-config.ts';
import { ISOLATION_SETTINGS, resolveIsolation, type IsolationSetting, type IsolationState } from './isolation.ts';
import { loadSignInConfig, type SignInConfig } from './sign-in-config.ts';

/** The platform's modes (PAAS_RUNTIME): local processes, containers on this host's Docker Engine, or a Kubernetes cluster. */
export const MODES = ['local', 'docker', 'kubernetes'] as const;
export type Mode = typeof MODES[number];

/** What serves apps' HTTP(S) in each mode: the platform's own router, or the cluster's ingress controller. */
const EDGES = { local: 'router', docker: 'router', kubernetes: 'ingress' } as const satisfies Record<Mode, string>;
export type EdgeKind = typeof EDGES[Mode];

export interface Config {
  dataDir: string;
  /** The ports asked for (PAAS_*_PORT; 0 picks a free one). The bound ones, which users reach, are in `endpoints`. */
  httpPort: number;
  sshPort: number;
  routerPort: number;
  /** Where users reach the platform: each listener records the port it bound there, once (core/endpoints.ts). */
  endpoints: Endpoints;
  host: string;
  baseDomain: string;
  /**
   * PAAS_DASHBOARD_HOST (comma-separated): the hosts users reach the dashboard and the API at (default: this machine's
   * hostname). No app may be given one of them, or a name under one, as a custom domain: it would get the dashboard's cookies.
   */
  dashboardHosts: readonly string[];
  /**
   * PAAS_TRUST_PROXY: which proxies in front of the web port may name the client (X-Forwarded-For), as fastify's
   * trustProxy takes it: a hop count, or addresses/CIDRs. Unset: none, so a client cannot pose as another address to
   * the sign-in limiter. Behind an Ingress or reverse proxy, set it, or every client shares the proxy's address.
   */
  trustProxy?: number | readonly string[];
  databaseUrl?: string;
  /** PAAS_DB_SCHEMA: the PostgreSQL schema the platform's tables live in (tests run one platform per schema). */
  dbSchema: string;
  natsUrl?: string;
  /** Prepended to every NATS subject and to the stream's name (tests use one per run). */
  subjectPrefix: string;
  /** Health probes of the Procfile's `controller` and `gitd` processes (the web process answers on httpPort). */
  controllerHealthPort: number;
  gitdHealthPort: number;
  /** PAAS_RUNTIME: where apps are built and run, i.e. which drivers runtime/select.ts picks. */
  mode: Mode;
  /**
   * What serves apps' HTTP(S), from the mode: `router` (ours: certificates from ACME or uploads, the router secret)
   * or `ingress` (the cluster's, with cert-manager). The faces ask this, not the mode (runtime/select.test.ts).
   */
  edge: EdgeKind;
  /**
   * The Docker Engine (docs/docker.md): `host` is DOCKER_HOST (unset: /var/run/docker.sock). `localDockerfiles`
   * (PAAS_DOCKER=auto|off): in local mode, Dockerfile apps are built and run by the Engine when one answers (auto),
   * or refused (off). Docker mode (PAAS_RUNTIME=docker) runs every app there.
   */
  docker: Readonly<{ host?: string; localDockerfiles: 'auto' | 'off' }>;
  /** PAAS_ISOLATION (auto|sandbox|none), resolved at boot: per-app sandboxes, or single-tenant mode (core/isolation.ts). */
  isolation: IsolationState;
  /**
   * `run APP CMD…`: a one-off process is killed after PAAS_RUN_TIMEOUT_SECONDS (default 3600), and each app may run at
   * most PAAS_RUN_MAX_PER_APP (default 3) at once, counted per platform process that starts them (gitd, the local CLI).
   */
  oneOff: Readonly<{ timeoutSeconds: number; maxPerApp: number }>;
  /**
   * Per process (PAAS_APP_MEMORY_MB, PAAS_APP_PIDS, PAAS_APP_NOFILE): local sandboxes (runtime/local/jail.ts) and Docker
   * containers; PAAS_APP_CPUS (default 1, fractions allowed) caps a container's CPU time (Docker mode only).
   */
  appLimits: Readonly<{ memoryMb: number; pids: number; nofile: number; cpus: number }>;
  registry: string;
  kanikoImage: string;
  /** Kubernetes mode (docs/kubernetes.md): the builder pod's init-container image. */
  builderImage: string;
  /** Kubernetes mode: gitd's URL as build pods reach it (they fetch the pushed source there). */
  gitdInternalUrl: string;
  /** Kubernetes mode: the platform's own namespace (web, gitd, the controller); no tenant code runs there. */
  namespace: string;
  /** Kubernetes mode: where every build Job runs (PAAS_BUILD_NAMESPACE, default `<namespace>-builds`); never an app's or the platform's. */
  buildNamespace: string;
  /** Kubernetes mode: each app runs in the namespace `<prefix><app>`. */
  namespacePrefix: string;
  /** Kubernetes mode: the Ingress class of app Ingresses (unset: the cluster's default class). */
  ingressClass?: string;
  /** Kubernetes mode: a cert-manager ClusterIssuer; when set, app Ingresses get TLS from it. */
  tlsIssuer?: string;
  /** Kubernetes mode: a kubernetes.io/dockerconfigjson Secret (in `namespace`) Kaniko pushes app images with. */
  registrySecret?: string;
  /** Kubernetes mode: the Secret (in `namespace`) copied into app namespaces for image pulls; PAAS_REGISTRY_PULL_SECRET, else registrySecret. */
  registryPullSecret?: string;
  /** Kubernetes mode: the registry speaks plain HTTP (kind, k3d): Kaniko pushes to it with --insecure. */
  registryInsecure: boolean;
  /**
   * Kubernetes mode: PAAS_REGISTRY_MIRROR, a registry (host[:port][/path], no scheme) that Kaniko asks first for
   * Docker Hub images (`--registry-mirror`), so the injected Dockerfiles' `FROM node:20-alpine` … come from it.
   */
  registryMirror?: string;
  /** Kubernetes mode: a kubeconfig file; unset, the in-cluster service account (or ~/.kube/config). */
  kubeconfig?: string;
  bootTimeoutMs: number;
  /** PAAS_BUILD_TIMEOUT_MS: how long a Docker image build may take before it is cancelled (runtime/docker/build.ts). */
  buildTimeoutMs: number;
  /**
   * PAAS_RELEASE_TIMEOUT_SECONDS: how long the release phase and each app.json script (predeploy, postdeploy) may run
   * before it is stopped; they hold the app's deploys while they run. Fractions allowed (tests).
   */
  releaseTimeoutSeconds: number;
  /**
   * PAAS_ROUTER_TLS_PORT: the router's HTTPS port, SNI per host (unset: no HTTPS listener; 0 picks a free one).
   * Certificates come from ACME (`acme`) or are uploaded (`certs:add`).
   */
  routerTlsPort?: number;
  /** PAAS_ROUTER_UPSTREAM_TIMEOUT_MS: how long an app may take to begin its response through the router (504 after). */
  routerUpstreamTimeoutMs: number;
  /**
   * PAAS_DOMAIN: the platform's own host (dashboard, API, git over HTTP). The router serves it from the web port, over
   * HTTPS when the TLS port is on, and session cookies become `__Host-` and Secure. It is also one of dashboardHosts.
   */
  platformDomain?: string;
  /**
   * Automatic HTTPS for the router (local mode), on when PAAS_ACME_EMAIL is set: the ACME directory
   * (PAAS_ACME_DIRECTORY, Let's Encrypt production by default), an extra CA file to trust for that directory
   * (PAAS_ACME_CA_FILE, for a private ACME server), how many days before expiry a certificate is renewed, and how
   * many orders may start in an hour (PAAS_ACME_ORDERS_PER_HOUR: the CA's rate limits are the whole platform's).
   */
  acme?: Readonly<{ email: string; directory: string; caFile?: string; renewDays: number; ordersPerHour: number }>;
  /** Metrics: the scrape token and the sampler's interval (core/observability-config.ts). */
  metrics: Readonly<MetricsConfig>;
  /** Tracing: the OTLP endpoint from the standard OTEL_* variables (core/observability-config.ts). */
  tracing: Readonly<TracingConfig>;
  /** PAAS_HTTP_*: deadlines and caps of the web port and the router (core/http-limits.ts). */
  httpLimits: Readonly<HttpLimits>;
  /**
   * Leases of push locks, builds and deploys: renewed while their process works, so a crashed process's work is
   * taken over (and its push lock freed) this long after it died. JetStream redelivers unacked work items after it too.
   */
  leaseSeconds: number;
  logLevel: string;
  /** Outgoing webhooks (PAAS_WEBHOOKS_*): private targets, retry schedule, attempt timeout (core/webhook-config.ts). */
  webhooks: Readonly<WebhookConfig>;
  /**
   * Deploys from a Git host: PAAS_GIT_SOURCES_ALLOW_PRIVATE=true lets connected repositories be on loopback, private
   * or link-local hosts (an in-house Gitea); off, a tenant's repository URL cannot reach the platform's network (SSRF).
   */
  gitSources: Readonly<{ allowPrivate: boolean }>;
  /** Git and SSH limits (issue 8 §5: handshake and idle timeouts, connection caps, push size, quota, slug retention). */
  gitLimits: GitLimits;
  /** Sign-in with OpenID Connect providers and GitHub (PAAS_OIDC_*), and PAAS_PUBLIC_URL (core/sign-in-config.ts). */
  signIn: SignInConfig;
  /** This process's own PATH and HOME, read at boot: the git, build and app processes it starts begin from them. */
  hostEnv: Readonly<{ PATH: string; HOME: string }>;
}

function toPort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number (0-65535), got "${raw}"`);
  return n;
}

function toHostList(raw: string): string[] {
  return raw.split(',').map((h) => h.trim().toLowerCase().replace(/\.$/, '')).filter((h) => h !== '');
}

function toHttpLimits(env: NodeJS.ProcessEnv): HttpLimits {
  const d = DEFAULT_HTTP_LIMITS;
  const n = (name: string, fallback: number) => wholeNumber(name, env[name], fallback);
  return {
    headersTimeoutMs: n('PAAS_HTTP_HEADERS_TIMEOUT_MS', d.headersTimeoutMs),
    bodyGraceMs: n('PAAS_HTTP_BODY_GRACE_MS', d.bodyGraceMs),
    minBodyRate: n('PAAS_HTTP_MIN_BODY_RATE', d.minBodyRate),
    bodyIdleTimeoutMs: n('PAAS_HTTP_BODY_IDLE_TIMEOUT_MS', d.bodyIdleTimeoutMs),
    idleTimeoutMs: n('PAAS_HTTP_IDLE_TIMEOUT_MS', d.idleTimeoutMs),
    maxHeaderBytes: n('PAAS_HTTP_MAX_HEADER_BYTES', d.maxHeaderBytes),
    maxHeadersCount: n('PAAS_HTTP_MAX_HEADERS', d.maxHeadersCount),
    maxConnectionsPerClient: n('PAAS_HTTP_MAX_CONNECTIONS_PER_CLIENT', d.maxConnectionsPerClient),
  };
}

/** PAAS_TRUST_PROXY: a hop count, or a comma-separated list of addresses and CIDRs; never "trust everyone". */
function toTrustProxy(raw: string | undefined): number | readonly string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  if (/^\d+$/.test(raw.trim())) return wholeNumber('PAAS_TRUST_PROXY', raw.trim(), 1);
  const list = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = list.find((s) => !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(s));
  if (bad !== undefined) throw new Error(`PAAS_TRUST_PROXY must be a hop count or addresses/CIDRs separated by commas, got "${bad}"`);
  return Object.freeze(list);
}

/**
 * The build namespace: never the platform's, and never one an app could be given (`<prefix><app>`), or a tenant
 * could name an app after it and run in beside every build.
 */
function toBuildNamespace(env: NodeJS.ProcessEnv, namespace: string, prefix: string): string {
  const ns = env.PAAS_BUILD_NAMESPACE || `${namespace}-builds`;
  if (ns === namespace) throw new Error(`PAAS_BUILD_NAMESPACE must differ from PAAS_NAMESPACE ("${namespace}"): builds run tenant code`);
  if (prefix && ns.startsWith(prefix)) throw new Error(`PAAS_BUILD_NAMESPACE "${ns}" starts with PAAS_NAMESPACE_PREFIX "${prefix}": an app could be given that namespace`);
  return ns;
}

export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';

/** PAAS_ACME_*: automatic HTTPS; needs the router's TLS port, and is the router's job (not Kubernetes', where cert-manager issues). */
function toAcme(env: NodeJS.ProcessEnv, mode: Mode, tlsPort: number | undefined): Config['acme'] {
  const email = env.PAAS_ACME_EMAIL?.trim();
  if (!email) return undefined;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new Error(`PAAS_ACME_EMAIL must be an email address, got "${email}"`);
  if (mode === 'kubernetes') throw new Error('PAAS_ACME_EMAIL is for the router of the local mode; in Kubernetes mode, set PAAS_TLS_ISSUER (a cert-manager ClusterIssuer)');
  if (tlsPort === undefined) throw new Error('PAAS_ACME_EMAIL needs PAAS_ROUTER_TLS_PORT: the port the router serves HTTPS on (443 on a server)');
  const directory = env.PAAS_ACME_DIRECTORY || LETS_ENCRYPT_DIRECTORY;
  let url: URL;
  try { url = new URL(directory); } catch { throw new Error(`PAAS_ACME_DIRECTORY must be an https:// URL, got "${directory}"`); }
  if (url.protocol !== 'https:') throw new Error(`PAAS_ACME_DIRECTORY must be an https:// URL, got "${directory}"`);
  return Object.freeze({
    email, directory: url.href, caFile: env.PAAS_ACME_CA_FILE || undefined,
    renewDays: wholeNumber('PAAS_ACME_RENEW_DAYS', env.PAAS_ACME_RENEW_DAYS, 30, 1),
    ordersPerHour: wholeNumber('PAAS_ACME_ORDERS_PER_HOUR', env.PAAS_ACME_ORDERS_PER_HOUR, 30, 1),
  });
}

/**
 * PAAS_DOMAIN: one host name (no scheme, port or path). Under the base domain it must be a reserved name
 * (`paas.<base>`, `dashboard.<base>` …): any other `<label>.<base>` is where an app named `<label>` is served.
 */
function toPlatformDomain(raw: string | undefined, baseDomain: string): string | undefined {
  const host = raw?.trim().toLowerCase().replace(/\.$/, '');
  if (!host) return undefined;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(host) || host.length > 253) {
    throw new Error(`PAAS_DOMAIN must be a host name such as paas.example.com (no scheme, port or path), got "${raw}"`);
  }
  const label = host.endsWith(`.${baseDomain}`) ? host.slice(0, -baseDomain.length - 1) : undefined;
  if (label !== undefined && !label.includes('.') && !RESERVED_NAMES.has(label)) {
    throw new Error(`PAAS_DOMAIN ${host} is where an app named "${label}" would be served; use a reserved name such as paas.${baseDomain} or dashboard.${baseDomain}, or a host outside ${baseDomain}`);
  }
  return host;
}

/** A registry as Kaniko's --registry-mirror takes it: a host name or IPv4 address, a port, lowercase path segments. */
const REGISTRY_MIRROR = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*(:(?<port>\d{1,5}))?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/**
 * PAAS_REGISTRY_MIRROR: one registry, host[:port][/path], no scheme. The value becomes an argument of every build's
 * Kaniko, so anything else (a scheme, spaces, a second flag) stops the boot.
 */
function toRegistryMirror(raw: string | undefined): string | undefined {
  const value = raw?.trim();
  if (!value) return undefined;
  const port = REGISTRY_MIRROR.exec(value)?.groups?.port;
  const valid = value.length <= 255 && REGISTRY_MIRROR.test(value) && (port === undefined || (Number(port) >= 1 && Number(port) <= 65535));
  if (!valid) {
    throw new Error(`PAAS_REGISTRY_MIRROR must be a registry as host[:port][/path] (no scheme), such as mirror.example.com or 10.0.0.5:5000/hub, got ${JSON.stringify(value.slice(0, 80))}`);
  }
  return value;
}

function toDockerSetting(value: string | undefined): 'auto' | 'off' {
  if (!value || value === 'auto') return 'auto';
  if (value === 'off') return 'off';
  throw new Error(`PAAS_DOCKER must be auto or off, got "${value.slice(0, 40)}"`);
}

/** Builds the Config from an environment (process.env at boot; tests pass their own); the one reader of process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const mode = (env.PAAS_RUNTIME || 'local') as Mode;
  if (!MODES.includes(mode)) throw new Error(`PAAS_RUNTIME must be ${MODES.join(' or ')}, got "${mode}"`);
  const isolationSetting = (env.PAAS_ISOLATION || 'auto') as IsolationSetting;
  if (!ISOLATION_SETTINGS.includes(isolationSetting)) throw new Error(`PAAS_ISOLATION must be ${ISOLATION_SETTINGS.join(', ')}, got "${isolationSetting}"`);
  const httpPort = toPort('PAAS_HTTP_PORT', env.PAAS_HTTP_PORT, 5000);
  const sshPort = toPort('PAAS_SSH_PORT', env.PAAS_SSH_PORT, 2222);
  const routerPort = toPort('PAAS_ROUTER_PORT', env.PAAS_ROUTER_PORT, 8080);
  const routerTlsPort = env.PAAS_ROUTER_TLS_PORT ? toPort('PAAS_ROUTER_TLS_PORT', env.PAAS_ROUTER_TLS_PORT, 0) : undefined;
  const baseDomain = (env.PAAS_BASE_DOMAIN || 'localhost').toLowerCase();
  const platformDomain = toPlatformDomain(env.PAAS_DOMAIN, baseDomain);
  const namespace = env.PAAS_NAMESPACE || 'paas';
  const namespacePrefix = env.PAAS_NAMESPACE_PREFIX ?? 'paas-app-';
  // Frozen: nothing changes the config after boot (a test that tries throws); bound ports live in Endpoints.
  return Object.freeze({
    dataDir: path.resolve(env.PAAS_DATA_DIR || './data'),
    httpPort, sshPort, routerPort,
    host: env.PAAS_HOST || '0.0.0.0',
    baseDomain,
    dashboardHosts: Object.freeze([...new Set([...(platformDomain ? [platformDomain] : []), ...toHostList(env.PAAS_DASHBOARD_HOST || os.hostname())])]),
    platformDomain,
    trustProxy: toTrustProxy(env.PAAS_TRUST_PROXY),
    databaseUrl: env.DATABASE_URL || undefined,
    dbSchema: env.PAAS_DB_SCHEMA || 'public',
    natsUrl: env.NATS_URL || undefined,
    subjectPrefix: env.PAAS_SUBJECT_PREFIX ? `${env.PAAS_SUBJECT_PREFIX.replace(/\.$/, '')}.` : '',
    controllerHealthPort: toPort('PAAS_CONTROLLER_HEALTH_PORT', env.PAAS_CONTROLLER_HEALTH_PORT, 5001),
    gitdHealthPort: toPort('PAAS_GITD_HEALTH_PORT', env.PAAS_GITD_HEALTH_PORT, 5002),
    mode,
    edge: EDGES[mode],
    isolation: Object.freeze(resolveIsolation(isolationSetting, mode)),
    docker: Object.freeze({ host: env.DOCKER_HOST || undefined, localDockerfiles: toDockerSetting(env.PAAS_DOCKER) }),
    appLimits: Object.freeze({
      memoryMb: wholeNumber('PAAS_APP_MEMORY_MB', env.PAAS_APP_MEMORY_MB, 512, 16),
      pids: wholeNumber('PAAS_APP_PIDS', env.PAAS_APP_PIDS, 256, 8),
      nofile: wholeNumber('PAAS_APP_NOFILE', env.PAAS_APP_NOFILE, 4096, 64),
      cpus: positiveNumber('PAAS_APP_CPUS', env.PAAS_APP_CPUS, 1),
    }),
    oneOff: Object.freeze({
      timeoutSeconds: wholeNumber('PAAS_RUN_TIMEOUT_SECONDS', env.PAAS_RUN_TIMEOUT_SECONDS, 3600, 1),
      maxPerApp: wholeNumber('PAAS_RUN_MAX_PER_APP', env.PAAS_RUN_MAX_PER_APP, 3, 1),
    }),
    registry: env.PAAS_REGISTRY || 'registry.localhost:5001',
    kanikoImage: env.PAAS_KANIKO_IMAGE || 'ghcr.io/osscontainertools/kaniko',
    builderImage: env.PAAS_BUILDER_IMAGE || 'ghcr.io/paas/builder:0.1.0',
    // Build pods run in the build namespace: the Service's name needs the platform's namespace to resolve there.
    gitdInternalUrl: (env.PAAS_GITD_URL || `http://paas-web.${namespace}.svc:5000`).replace(/\/+$/, ''),
    namespace,
    buildNamespace: toBuildNamespace(env, namespace, namespacePrefix),
    namespacePrefix,
    ingressClass: env.PAAS_INGRESS_CLASS || undefined,
    tlsIssuer: env.PAAS_TLS_ISSUER || undefined,
    registrySecret: env.PAAS_REGISTRY_SECRET || undefined,
    // A pull-only credential keeps push rights out of app namespaces; without one, the push Secret serves both.
    registryPullSecret: env.PAAS_REGISTRY_PULL_SECRET || env.PAAS_REGISTRY_SECRET || undefined,
    registryInsecure: env.PAAS_REGISTRY_INSECURE === 'true' || env.PAAS_REGISTRY_INSECURE === '1',
    registryMirror: toRegistryMirror(env.PAAS_REGISTRY_MIRROR),
    kubeconfig: env.KUBECONFIG || undefined,
    bootTimeoutMs: wholeNumber('PAAS_BOOT_TIMEOUT_MS', env.PAAS_BOOT_TIMEOUT_MS, 60_000),
    buildTimeoutMs: wholeNumber('PAAS_BUILD_TIMEOUT_MS', env.PAAS_BUILD_TIMEOUT_MS, 15 * 60_000, 1000),
    releaseTimeoutSeconds: positiveNumber('PAAS_RELEASE_TIMEOUT_SECONDS', env.PAAS_RELEASE_TIMEOUT_SECONDS, 1800),
    routerTlsPort,
    routerUpstreamTimeoutMs: wholeNumber('PAAS_ROUTER_UPSTREAM_TIMEOUT_MS', env.PAAS_ROUTER_UPSTREAM_TIMEOUT_MS, 60_000, 1),
    acme: toAcme(env, mode, routerTlsPort),
    httpLimits: Object.freeze(toHttpLimits(env)),
    metrics: loadMetricsConfig(env),
    tracing: loadTracingConfig(env),
    leaseSeconds: positiveNumber('PAAS_LEASE_SECONDS', env.PAAS_LEASE_SECONDS, 60),
    logLevel: env.PAAS_LOG_LEVEL || 'info',
    // Git and SSH limits (PAAS_SSH_*, PAAS_MAX_PUSH_MB, PAAS_APP_QUOTA_MB, PAAS_SLUG_RETENTION): core/git-limits.ts.
    gitLimits: loadGitLimits(env),
    webhooks: loadWebhookConfig(env),
    gitSources: Object.freeze({ allowPrivate: toBool('PAAS_GIT_SOURCES_ALLOW_PRIVATE', env.PAAS_GIT_SOURCES_ALLOW_PRIVATE) }),
    signIn: loadSignInConfig(env),
    endpoints: new Endpoints({ http: httpPort, ssh: sshPort, router: routerPort, routerTls: routerTlsPort }),
    hostEnv: Object.freeze({ PATH: env.PATH || defaultPath, HOME: env.HOME || '/' }),
  });
}
