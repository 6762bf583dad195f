// test/kubernetes/manifests-cli.test.ts — `manifests APP` in the embedded mode: the objects Kubernetes mode would
// apply for the app's current release, with the image `$PAAS_REGISTRY/<app>:<build>`, as valid multi-document YAML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import YAML from 'yaml';
import { loadConfig } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { runCommand } from '../../cli/commands.ts';
import { selectReader } from '../../runtime/select.ts';
import type { KubeObject } from '../../runtime/kubernetes/manifests.ts';
import { crossProblems, objectProblems } from '../../runtime/kubernetes/validate.ts';
import { openTestSchema } from '../support/test-schema.ts';

test('manifests prints the current release as it would be applied, image <registry>/<app>:<build>', async (t) => {
  const db = await openTestSchema(t, 'manifests');
  if (!db) return;
  const [user] = await db('users').insert({ email: 'o@example.com', password_hash: 'x' }).returning('id');
  const [app] = await db('apps').insert({ name: 'shop', owner_id: (user as { id: number }).id, config: JSON.stringify({ GREETING: 'hi' }), formation: JSON.stringify({ worker: 2 }) }).returning('id');
  const appId = (app as { id: number }).id;
  const buildId = crypto.randomUUID();
  await db('builds').insert({
    id: buildId, app_id: appId, number: 4, ref: 'refs/heads/main', rev: 'a'.repeat(40), status: 'succeeded', stack: 'node',
    process_types: JSON.stringify({ web: 'npm start', worker: 'node worker.js', release: 'npm run migrate' }), slug_dir: '/data/apps/shop/slugs/4',
  });
  const [release] = await db('releases').insert({ app_id: appId, version: 2, build_id: buildId, config: JSON.stringify({ GREETING: 'hi' }), description: 'Deploy', status: 'succeeded' }).returning('id');
  await db('apps').where({ id: appId }).update({ current_release_id: (release as { id: number }).id });
  await db('domains').insert({ hostname: 'shop.example.com', app_id: appId });
  const config = loadConfig({ PAAS_REGISTRY: 'registry.test:5000', PAAS_DATA_DIR: '/tmp/paas-manifests-test', PAAS_APP_MEMORY_MB: '1024' });
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { db, config, actor: { kind: 'operator' as const }, reader: await selectReader(config, db), out: (l: string) => out.push(l), err: (l: string) => err.push(l), readStdin: async () => '', signal: new AbortController().signal };
  assert.equal(await runCommand(ctx, ['manifests', 'shop'], true, 'paas', createLogger('silent')), 0, err.join('\n'));
  assert.match(out[0]!, /^# shop v2: /);
  const objs = YAML.parseAllDocuments(out.join('\n')).map((d) => d.toJS() as KubeObject | null).filter((o): o is KubeObject => o !== null);
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata?.name}`), [
    'Namespace/paas-app-shop', 'Secret/config-vars', 'ConfigMap/platform', 'Deployment/web', 'Deployment/worker', 'Service/web', 'Ingress/web',
  ]);
  for (const o of objs) assert.deepEqual(objectProblems(o), [], `${o.kind} ${o.metadata?.name}`);
  assert.deepEqual(crossProblems(objs), []);
  const worker = objs[4] as { spec: { replicas: number; template: { spec: { securityContext: unknown; containers: Array<{ image: string; resources: unknown; securityContext: unknown }> } } } };
  assert.equal(worker.spec.template.spec.containers[0]!.image, 'registry.test:5000/apps/shop:4');
  assert.equal(worker.spec.replicas, 2);
  // What is printed is what runs: non-root, no escalation or capabilities, the configured memory.
  assert.deepEqual(worker.spec.template.spec.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  assert.deepEqual(worker.spec.template.spec.containers[0]!.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  assert.deepEqual(worker.spec.template.spec.containers[0]!.resources, { requests: { cpu: '100m', memory: '512Mi' }, limits: { memory: '1024Mi' } });
  assert.match(out.join('\n'), /host: shop\.example\.com/);
  assert.match(out.join('\n'), /PAAS_APP_URL: http:\/\/shop\.localhost\//, "the Ingress URL, not the router's");
  out.length = 0;
  await db('apps').insert({ name: 'empty', owner_id: (user as { id: number }).id });
  assert.equal(await runCommand(ctx, ['manifests', 'empty'], true, 'paas', createLogger('silent')), 1);
  assert.deepEqual(err.slice(-1), [' !     empty has no release yet: git push first']);
});

test('hostile: manifests shows an uploaded certificate as a TLS Secret and its own Ingress, never its private key', async (t) => {
  const db = await openTestSchema(t, 'manifests');
  if (!db) return;
  const [user] = await db('users').insert({ email: 'o@example.com', password_hash: 'x' }).returning('id');
  const [app] = await db('apps').insert({ name: 'shop', owner_id: (user as { id: number }).id, https_redirect: true }).returning('id');
  const appId = (app as { id: number }).id;
  const buildId = crypto.randomUUID();
  await db('builds').insert({ id: buildId, app_id: appId, number: 1, ref: 'refs/heads/main', rev: 'a'.repeat(40), status: 'succeeded', process_types: JSON.stringify({ web: 'npm start' }), slug_dir: '/x' });
  const [release] = await db('releases').insert({ app_id: appId, version: 1, build_id: buildId, config: '{}', description: 'Deploy', status: 'succeeded' }).returning('id');
  await db('apps').where({ id: appId }).update({ current_release_id: (release as { id: number }).id });
  await db('domains').insert({ hostname: 'www.shop.example', app_id: appId });
  const key = '-----BEGIN PRIVATE KEY-----\nTOPSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n';
  await db('certificates').insert({
    app_id: appId, host: 'www.shop.example', source: 'upload', state: 'issued', names: ['www.shop.example'],
    expires_at: new Date(Date.now() + 86400_000), cert_pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', key_pem: key,
  });
  const config = loadConfig({ PAAS_DATA_DIR: '/tmp/paas-manifests-test', PAAS_TLS_ISSUER: 'letsencrypt' });
  const out: string[] = [];
  const ctx = { db, config, actor: { kind: 'operator' as const }, reader: await selectReader(config, db), out: (l: string) => out.push(l), err: (l: string) => out.push(l), readStdin: async () => '', signal: new AbortController().signal };
  assert.equal(await runCommand(ctx, ['manifests', 'shop'], true, 'paas', createLogger('silent')), 0, out.join('\n'));
  const text = out.join('\n');
  assert.ok(!text.includes(Buffer.from(key).toString('base64').slice(0, 24)) && !text.includes('TOPSECRET'), 'the key is not printed');
  assert.match(text, /# Secret uploaded-tls holds shop's uploaded certificate; its private key \(tls\.key\) is never printed/);
  const objs = YAML.parseAllDocuments(text).map((d) => d.toJS() as KubeObject | null).filter((o): o is KubeObject => o !== null);
  assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata?.name}`).slice(-4), ['Service/web', 'Secret/uploaded-tls', 'Ingress/web', 'Ingress/web-uploaded']);
  const secret = objs.find((o) => o.metadata?.name === 'uploaded-tls') as { type: string; data: Record<string, string> };
  assert.equal(secret.type, 'kubernetes.io/tls');
  assert.equal(secret.data['tls.key'], 'REDACTED');
  const uploaded = objs.find((o) => o.metadata?.name === 'web-uploaded') as { metadata: { annotations: Record<string, string> }; spec: { tls: unknown } };
  assert.deepEqual(uploaded.spec.tls, [{ hosts: ['www.shop.example'], secretName: 'uploaded-tls' }]);
  assert.equal(uploaded.metadata.annotations['nginx.ingress.kubernetes.io/ssl-redirect'], 'true');
  for (const o of objs) assert.deepEqual(objectProblems(o), [], `${o.kind} ${o.metadata?.name}`);
});
