// runtime/kubernetes/edge-manifests.ts — an app's web edge in Kubernetes mode: its Ingresses and the TLS Secret of an
// uploaded certificate (certs:add). Pure, like manifests.ts: `paas manifests` prints what these return.
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { KubeObject, KubeRelease, ManifestSettings } from './manifests.ts';
import { annotationKeys, appLabels, appNamespace, labelKeys, objectNames, processName } from './names.ts';

/** ingress-nginx's per-Ingress HTTP→HTTPS redirect; the app's `certs:redirect` sets it (HSTS is the controller's setting). */
export const SSL_REDIRECT = 'nginx.ingress.kubernetes.io/ssl-redirect';

type Ref = { apiVersion: string; kind: string; metadata: { name: string; namespace: string } };

function meta(s: ManifestSettings, r: KubeRelease, name: string): { name: string; namespace: string; labels: Record<string, string> } {
  const labels = { ...appLabels(r.app), [labelKeys.version]: `v${r.version}`, [labelKeys.component]: processName('web') };
  return { name, namespace: appNamespace(s.namespacePrefix, r.app), labels };
}

/** The hosts web answers on (`<app>.<base domain>` plus the custom domains), split by who gives them TLS. */
function splitHosts(s: ManifestSettings, r: KubeRelease): { issuer: string[]; uploaded: string[] } {
  const all = [`${r.app}.${s.baseDomain}`, ...(r.domains ?? [])];
  const covered = new Set(r.edge?.uploaded?.hosts ?? []);
  return { issuer: all.filter((h) => !covered.has(h)), uploaded: all.filter((h) => covered.has(h)) };
}

/** The kubernetes.io/tls Secret of the uploaded certificate. */
export function toUploadedTlsSecret(s: ManifestSettings, r: KubeRelease): ISecret | undefined {
  const up = r.edge?.uploaded;
  if (!up || up.hosts.length === 0) return undefined;
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { ...meta(s, r, objectNames.uploadedTlsSecret), labels: { ...meta(s, r, '').labels, [labelKeys.component]: 'tls' } },
    data: { 'tls.crt': b64(up.cert), 'tls.key': b64(up.key) },
  };
}

function ingress(s: ManifestSettings, r: KubeRelease, name: string, hosts: string[], tls: { secretName: string; issuer?: string } | undefined): IIngress {
  const annotations: Record<string, string> = {
    ...(tls?.issuer ? { [annotationKeys.issuer]: tls.issuer } : {}),
    ...(r.edge ? { [SSL_REDIRECT]: String(r.edge.redirectHttps) } : {}),
  };
  const m = meta(s, r, name);
  return {
    apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
    metadata: Object.keys(annotations).length ? { ...m, annotations } : m,
    spec: {
      ...(s.ingressClass ? { ingressClassName: s.ingressClass } : {}),
      ...(tls ? { tls: [{ hosts, secretName: tls.secretName }] } : {}),
      rules: hosts.map((host) => ({
        host,
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: objectNames.service, port: { name: 'http' } } } }] },
      })),
    },
  };
}

/**
 * The edge objects of a release: the uploaded certificate's Secret, Ingress `web` for the hosts cert-manager serves
 * (when an issuer is set), and Ingress `web-uploaded` for the hosts the upload covers. Two Ingresses, because
 * cert-manager's annotation orders a certificate for every `tls` entry of its Ingress and would overwrite the upload.
 */
export function toEdgeObjects(s: ManifestSettings, r: KubeRelease): KubeObject[] {
  const { issuer, uploaded } = splitHosts(s, r);
  const secret = toUploadedTlsSecret(s, r);
  return [
    ...(secret ? [secret] : []),
    ...(issuer.length ? [ingress(s, r, objectNames.ingress, issuer, s.tlsIssuer ? { secretName: objectNames.tlsSecret, issuer: s.tlsIssuer } : undefined)] : []),
    ...(secret ? [ingress(s, r, objectNames.uploadedIngress, uploaded, { secretName: objectNames.uploadedTlsSecret })] : []),
  ];
}

/** Every edge object an app may have; `staleEdgeObjects` gives those a release does not (deleted after it applies). */
export function allEdgeRefs(s: ManifestSettings, app: string): Ref[] {
  const namespace = appNamespace(s.namespacePrefix, app);
  return [
    { apiVersion: 'v1', kind: 'Secret', metadata: { name: objectNames.uploadedTlsSecret, namespace } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: objectNames.ingress, namespace } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: objectNames.uploadedIngress, namespace } },
  ];
}

/** The edge objects the app may have from before that this release has not (an upload removed, all hosts covered). */
export function staleEdgeObjects(s: ManifestSettings, r: KubeRelease): Ref[] {
  const wanted = new Set(toEdgeObjects(s, r).map((o) => `${o.kind}/${o.metadata?.name}`));
  return allEdgeRefs(s, r.app).filter((o) => !wanted.has(`${o.kind}/${o.metadata.name}`));
}

/** The YAML `manifests` prints never carries a private key: the uploaded Secret's tls.key is replaced (after validation). */
export function redactKeys(objs: KubeObject[]): KubeObject[] {
  return objs.map((o) => (o.kind === 'Secret' && (o as ISecret).type === 'kubernetes.io/tls'
    ? { ...o, data: { ...(o as ISecret).data, 'tls.key': 'REDACTED' } } as KubeObject : o));
}
