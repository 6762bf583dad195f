// runtime/kubernetes/pod-security.test.ts — what tenant code runs with in Kubernetes mode (docs/security.md):
// app and release pods non-root, without escalation or capabilities, with seccomp and the memory of
// PAAS_APP_MEMORY_MB; build Jobs in the build namespace, their token a projected Secret owned by the Job.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../core/config.ts';
import type { ReleaseSpec } from '../types.ts';
import { BUILD_TOKEN_FILE, toBuildJob, toBuildNamespace, toBuildTokenSecret, toReleaseJob } from './job-manifests.ts';
import { toKubeRelease, toReleaseObjects } from './manifests.ts';
import { assertValid } from './validate.ts';

const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.example.com:5000', PAAS_REGISTRY_SECRET: 'push-creds', PAAS_APP_MEMORY_MB: '768' });
const build = { app: 'shop', buildId: '0b7f6a52-4d8e-4a57-9b8e-2b1f2a6c1d00', number: 3, token: 'the-build-token' };

function release(): ReturnType<typeof toKubeRelease> {
  const spec: ReleaseSpec = {
    app: 'shop', version: 2, slugDir: '', pathPrepend: [], env: { APP_NAME: 'shop' }, config: {},
    processes: [{ type: 'web', command: 'npm start', quantity: 1 }, { type: 'worker', command: 'node w.js', quantity: 1 }],
    image: `registry.example.com:5000/shop@sha256:${'b'.repeat(64)}`,
  };
  return toKubeRelease(spec, config.registry, 1);
}

test('app and release pods run non-root, without privilege escalation or capabilities, under RuntimeDefault seccomp', () => {
  const deployments = toReleaseObjects(config, release()).filter((o) => o.kind === 'Deployment') as Array<{ spec: { template: { spec: any } } }>;
  const pods = [...deployments.map((d) => d.spec.template.spec), toReleaseJob(config, release(), 'npm run migrate').spec!.template.spec!];
  assert.equal(pods.length, 3);
  for (const pod of pods) {
    assert.deepEqual(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    assert.equal(pod.automountServiceAccountToken, false);
    for (const c of pod.containers) {
      assert.deepEqual(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }, c.name);
    }
  }
});

test('app and release containers get PAAS_APP_MEMORY_MB as their memory limit and half of it as their request', () => {
  const objs = toReleaseObjects(config, release());
  const containers = [
    ...objs.filter((o) => o.kind === 'Deployment').map((d: any) => d.spec.template.spec.containers[0]),
    toReleaseJob(config, release(), 'x').spec!.template.spec!.containers[0],
  ];
  for (const c of containers) assert.deepEqual(c.resources, { requests: { cpu: '100m', memory: '384Mi' }, limits: { memory: '768Mi' } });
  const defaults = loadConfig({ PAAS_RUNTIME: 'kubernetes' });
  assert.equal(defaults.appLimits.memoryMb, 512);
  assert.throws(() => loadConfig({ PAAS_APP_MEMORY_MB: 'lots' }), /PAAS_APP_MEMORY_MB must be a whole number >= 16, got "lots"/);
});

test('app namespaces and the build namespace are labelled as tenant namespaces, for the chart\'s NetworkPolicy', () => {
  const ns = toReleaseObjects(config, release())[0] as { kind: string; metadata: { labels: Record<string, string> } };
  assert.equal(ns.kind, 'Namespace');
  assert.equal(ns.metadata.labels['paas.dev/tenant'], 'app');
  assert.deepEqual(toBuildNamespace(config).metadata, {
    name: 'paas-builds',
    labels: { 'app.kubernetes.io/part-of': 'paas', 'paas.dev/tenant': 'build' },
  });
});

test('the build Job runs in the build namespace, with no token in its environment and the token Secret projected into the builder only', () => {
  const job = toBuildJob(config, build);
  assertValid([job]);
  assert.equal(job.metadata?.namespace, 'paas-builds');
  assert.doesNotMatch(JSON.stringify(job), /the-build-token/, 'the token is nowhere in the Job');
  const pod = job.spec!.template.spec!;
  const [builder] = pod.initContainers!;
  const [kaniko] = pod.containers;
  assert.ok(!builder!.env!.some((e) => e.name === 'PAAS_BUILD_TOKEN'));
  assert.deepEqual(builder!.env!.find((e) => e.name === 'PAAS_BUILD_TOKEN_FILE'), { name: 'PAAS_BUILD_TOKEN_FILE', value: BUILD_TOKEN_FILE });
  assert.deepEqual(builder!.volumeMounts!.find((m) => m.name === 'build-token'), { name: 'build-token', mountPath: '/var/run/paas/build', readOnly: true });
  assert.ok(!kaniko!.volumeMounts!.some((m) => m.name === 'build-token'), "Kaniko (which runs the Dockerfile's RUN steps) never mounts the token");
  const volume = pod.volumes!.find((v) => v.name === 'build-token')!;
  assert.deepEqual(volume.projected?.sources, [{ secret: { name: 'build-shop-3-token', items: [{ key: 'token', path: 'token' }] } }]);
  assert.deepEqual(builder!.securityContext, {
    allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' },
  });
  // Kaniko pushes with the build namespace's copy of the registry Secret, not the platform namespace's.
  assert.equal(pod.volumes!.find((v) => v.name === 'docker-config')?.secret?.secretName, 'registry-push');
});

test('the token Secret is in the build namespace, holds the token, and once the Job exists is owned by it', () => {
  const before = toBuildTokenSecret(config, build);
  assertValid([before]);
  assert.equal(before.metadata?.namespace, 'paas-builds');
  assert.equal(before.metadata?.name, 'build-shop-3-token');
  assert.equal(Buffer.from(before.data!.token!, 'base64').toString(), 'the-build-token');
  assert.equal(before.metadata?.ownerReferences, undefined);
  assert.equal(before.metadata?.labels?.['app.kubernetes.io/instance'], 'shop', 'apps:destroy finds it by label');
  const owned = toBuildTokenSecret(config, build, { name: 'build-shop-3', uid: '6c1f0b7e-0000-4000-8000-000000000001' });
  assert.deepEqual(owned.metadata?.ownerReferences, [{
    apiVersion: 'batch/v1', kind: 'Job', name: 'build-shop-3', uid: '6c1f0b7e-0000-4000-8000-000000000001', controller: true, blockOwnerDeletion: false,
  }]);
});

test('app pods pull with PAAS_REGISTRY_PULL_SECRET when it is set, else with the push Secret', () => {
  const pods = (c: typeof config) => (toReleaseObjects(c, release()).find((o) => o.kind === 'Deployment') as any).spec.template.spec;
  assert.deepEqual(pods(config).imagePullSecrets, [{ name: 'registry-pull' }]);
  assert.equal(config.registryPullSecret, 'push-creds', 'without a pull Secret, the push Secret serves both');
  assert.equal(loadConfig({ PAAS_REGISTRY_SECRET: 'push', PAAS_REGISTRY_PULL_SECRET: 'pull' }).registryPullSecret, 'pull');
  assert.equal(pods(loadConfig({ PAAS_RUNTIME: 'kubernetes' })).imagePullSecrets, undefined);
});

test('the build namespace can be set, but never to the platform namespace or one an app could be given', () => {
  assert.equal(loadConfig({ PAAS_BUILD_NAMESPACE: 'ci-builds' }).buildNamespace, 'ci-builds');
  assert.equal(loadConfig({ PAAS_NAMESPACE: 'platform' }).buildNamespace, 'platform-builds');
  assert.throws(() => loadConfig({ PAAS_BUILD_NAMESPACE: 'paas' }), /PAAS_BUILD_NAMESPACE must differ from PAAS_NAMESPACE \("paas"\): builds run tenant code/);
  assert.throws(() => loadConfig({ PAAS_BUILD_NAMESPACE: 'paas-app-builds' }), /PAAS_BUILD_NAMESPACE "paas-app-builds" starts with PAAS_NAMESPACE_PREFIX "paas-app-": an app could be given that namespace/);
});
