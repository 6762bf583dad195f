// runtime/kubernetes/names.ts — names and labels of the objects the Kubernetes runtime writes: one
// namespace per app, fixed object names inside it, and the app.kubernetes.io/* labels that find them again.
import crypto from 'node:crypto';

/**
 * An app's image repository in the registry: `<registry>/apps/<app>`. The fixed `apps/` keeps every repository name
 * at least two characters long even when PAAS_REGISTRY has no path: Kaniko (go-containerregistry) refuses a shorter
 * one, so a one-letter app could not be built at `<registry>/<app>`.
 */
export function appRepository(registry: string, app: string): string {
  return `${registry}/apps/${app}`;
}

/** The label keys we set; `instance` + `managedBy` select everything that belongs to an app. */
export const labelKeys = {
  name: 'app.kubernetes.io/name',
  instance: 'app.kubernetes.io/instance',
  component: 'app.kubernetes.io/component',
  version: 'app.kubernetes.io/version',
  managedBy: 'app.kubernetes.io/managed-by',
  partOf: 'app.kubernetes.io/part-of',
  release: 'paas.dev/release',
  build: 'paas.dev/build',
  /** On namespaces that run tenant code (`app` or `build`): the chart's NetworkPolicy keeps them out of the platform's. */
  tenant: 'paas.dev/tenant',
} as const;

/** Annotation keys: the config hash rolls pods on a config change; the process type keeps the Procfile's spelling. */
export const annotationKeys = {
  configHash: 'paas.dev/config-hash',
  processType: 'paas.dev/process-type',
  issuer: 'cert-manager.io/cluster-issuer',
} as const;

export const MANAGED_BY = 'paas';

/** Fixed names inside an app's namespace (the namespace already says which app, so names need no prefix). */
export const objectNames = {
  configSecret: 'config-vars',
  platformConfigMap: 'platform',
  service: 'web',
  ingress: 'web',
  tlsSecret: 'web-tls',
  /** The uploaded certificate (certs:add), a kubernetes.io/tls Secret, and the Ingress of the hosts it covers. */
  uploadedTlsSecret: 'uploaded-tls',
  uploadedIngress: 'web-uploaded',
  pullSecret: 'registry-pull',
  /** The build namespace's copy of PAAS_REGISTRY_SECRET, mounted into Kaniko. */
  pushSecret: 'registry-push',
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function shortHash(text: string, length = 6): string {
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, length);
}

/**
 * Turns any text into a DNS-1123 label (at most 63 chars). Text that is already one is kept as is; anything else
 * (an underscore in a Procfile type, a name too long) is cleaned and gets a hash of the original, so two different
 * inputs never meet on one name.
 */
export function toDnsLabel(text: string, max = 63): string {
  if (text.length <= max && DNS_LABEL.test(text)) return text;
  const hash = shortHash(text);
  const cleaned = text.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, max - hash.length - 1).replace(/^-+|-+$/g, '');
  return cleaned ? `${cleaned}-${hash}` : `x-${hash}`;
}

/** The namespace an app runs in: `<prefix><app>`, kept a valid label when the prefix makes it too long. */
export function appNamespace(prefix: string, app: string): string {
  return toDnsLabel(`${prefix}${app}`);
}

/** The Deployment (and container) name of a Procfile process type. */
export function processName(type: string): string {
  return toDnsLabel(type);
}

/** The name of a build's Job, in the build namespace where every app's builds run. */
export function buildJobName(app: string, buildNumber: number): string {
  return toDnsLabel(`build-${app}-${buildNumber}`);
}

/** The name of the Secret holding a build's token (owned by its Job, deleted when the build ends). */
export function buildTokenSecretName(app: string, buildNumber: number): string {
  return toDnsLabel(`build-${app}-${buildNumber}-token`);
}

/** The name of a release phase Job, in the app's namespace. */
export function releaseJobName(version: number): string {
  return `release-v${version}`;
}

/** The labels every object of an app carries. */
export function appLabels(app: string): Record<string, string> {
  return { [labelKeys.name]: app, [labelKeys.instance]: app, [labelKeys.managedBy]: MANAGED_BY, [labelKeys.partOf]: 'paas' };
}

/** The label selector (as a string) that finds every object of an app. */
export function appSelector(app: string): string {
  return `${labelKeys.instance}=${app},${labelKeys.managedBy}=${MANAGED_BY}`;
}

/** The immutable selector of a process type's Deployment (never includes the release, or rollouts could not match). */
export function processSelector(app: string, type: string): Record<string, string> {
  return { [labelKeys.instance]: app, [labelKeys.component]: processName(type) };
}

/** The label selector (as a string) of a release's pods: how rollout watching tells new pods from old ones. */
export function releasePodSelector(app: string, version: number): string {
  return `${labelKeys.instance}=${app},${labelKeys.release}=${version}`;
}
