// runtime/kubernetes/edge-manifests.test.ts — an uploaded certificate in Kubernetes mode: a kubernetes.io/tls Secret,
// an Ingress of its own for the hosts it covers (cert-manager keeps the others), the redirect annotation, and no
// private key in what `manifests` prints. Every object is validated with kubernetes-models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import { loadConfig } from '../../core/config.ts';
import type { ReleaseSpec } from '../types.ts';
import { redactKeys, SSL_REDIRECT, staleEdgeObjects } from './edge-manifests.ts';
import { toKubeRelease, toReleaseObjects, type KubeObject, type KubeRelease } from './manifests.ts';
import { assertValid } from './validate.ts';

const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.example.com:5000', PAAS_BASE_DOMAIN: 'apps.example.com' });
const issuer = { ...config, tlsIssuer: 'letsencrypt', ingressClass: 'nginx' };
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nsecret-key-material\n-----END PRIVATE KEY-----\n';

function release(edge: ReleaseSpec['edge']): KubeRelease {
  return toKubeRelease({
    app: 'shop', version: 3, slugDir: '', pathPrepend: [], env: { APP_NAME: 'shop' }, config: {},
    processes: [{ type: 'web', command: 'npm start', quantity: 1 }], image: 'registry.example.com:5000/shop@sha256:' + 'a'.repeat(64),
    domains: ['www.shop.example', 'api.shop.example'], edge,
  }, config.registry, 3);
}

const byName = (objs: KubeObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata?.name === name);

test('an uploaded certificate becomes a kubernetes.io/tls Secret and an Ingress of the hosts it covers; cert-manager keeps the rest', () => {
  const r = release({ redirectHttps: true, hsts: false, uploaded: { cert: CERT, key: KEY, hosts: ['www.shop.example', 'api.shop.example'] } });
  const objs = toReleaseObjects(issuer, r);
  assertValid(objs);
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata?.name}`).slice(-4), ['Service/web', 'Secret/uploaded-tls', 'Ingress/web', 'Ingress/web-uploaded']);
  const secret = byName(objs, 'Secret', 'uploaded-tls') as ISecret;
  assert.equal(secret.type, 'kubernetes.io/tls');
  assert.equal(Buffer.from(secret.data!['tls.crt']!, 'base64').toString(), CERT);
  assert.equal(Buffer.from(secret.data!['tls.key']!, 'base64').toString(), KEY);
  const web = byName(objs, 'Ingress', 'web') as IIngress;
  assert.deepEqual(web.spec?.tls, [{ hosts: ['shop.apps.example.com'], secretName: 'web-tls' }]);
  assert.equal(web.metadata?.annotations?.['cert-manager.io/cluster-issuer'], 'letsencrypt');
  const up = byName(objs, 'Ingress', 'web-uploaded') as IIngress;
  assert.deepEqual(up.spec?.tls, [{ hosts: ['www.shop.example', 'api.shop.example'], secretName: 'uploaded-tls' }]);
  assert.deepEqual(up.spec?.rules?.map((x) => x.host), ['www.shop.example', 'api.shop.example']);
  assert.equal(up.metadata?.annotations?.['cert-manager.io/cluster-issuer'], undefined, 'cert-manager must not order over the upload');
  assert.equal(up.spec?.ingressClassName, 'nginx');
  for (const ing of [web, up]) assert.equal(ing.metadata?.annotations?.[SSL_REDIRECT], 'true');
  assert.deepEqual(staleEdgeObjects(issuer, r), []);
});

test('a wildcard upload covering every host leaves no cert-manager Ingress; redirect off is said; no upload leaves the Secret stale', () => {
  const all = ['shop.apps.example.com', 'www.shop.example', 'api.shop.example'];
  const covered = release({ redirectHttps: false, hsts: true, uploaded: { cert: CERT, key: KEY, hosts: all } });
  const objs = toReleaseObjects(config, covered);
  assertValid(objs);
  assert.equal(byName(objs, 'Ingress', 'web'), undefined);
  assert.equal((byName(objs, 'Ingress', 'web-uploaded') as IIngress).metadata?.annotations?.[SSL_REDIRECT], 'false');
  assert.deepEqual(staleEdgeObjects(config, covered).map((o) => `${o.kind}/${o.metadata.name}`), ['Ingress/web']);
  const none = release({ redirectHttps: false, hsts: false });
  assert.deepEqual(staleEdgeObjects(config, none).map((o) => `${o.kind}/${o.metadata.name}`), ['Secret/uploaded-tls', 'Ingress/web-uploaded']);
  assert.equal((byName(toReleaseObjects(config, none), 'Ingress', 'web') as IIngress).spec?.tls, undefined, 'no TLS without an issuer or upload');
});

test('hostile: manifests output never carries the private key of an uploaded certificate', () => {
  const objs = toReleaseObjects(config, release({ redirectHttps: false, hsts: false, uploaded: { cert: CERT, key: KEY, hosts: ['www.shop.example'] } }));
  const shown = JSON.stringify(redactKeys(objs));
  assert.doesNotMatch(shown, new RegExp(Buffer.from(KEY).toString('base64').slice(0, 40)));
  assert.doesNotMatch(shown, /secret-key-material/);
  assert.match(shown, /"tls.key":"REDACTED"/);
  assert.match(JSON.stringify(objs), /tls\.key/, 'what is applied still has it');
});
