// runtime/kubernetes/manifests.test.ts — every object the controller would apply is valid (schema through
// kubernetes-models, plus names, selectors, ports and references), and carries what the design asks of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { loadConfig } from '../../core/config.ts';
import type { ReleaseSpec } from '../types.ts';
import { imageByDigest, toBuildJob, toReleaseJob } from './job-manifests.ts';
import {
  configHash, defaultLiveness, HPA_API_VERSIONS, toDeployment, toKubeRelease, toReleaseObjects, type HorizontalPodAutoscaler, type KubeObject, type KubeRelease,
} from './manifests.ts';
import { toHpaApiVersion } from './discovery.ts';
import { appNamespace, buildJobName, processName, toDnsLabel } from './names.ts';
import { assertValid, crossProblems, objectProblems } from './validate.ts';

const config = loadConfig({ PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.example.com:5000', PAAS_BASE_DOMAIN: 'apps.example.com' });
const tls = { ...config, tlsIssuer: 'letsencrypt', ingressClass: 'nginx', registrySecret: 'registry-push', registryPullSecret: 'registry-pull' };

function release(overrides: Partial<ReleaseSpec> = {}): KubeRelease {
  const spec: ReleaseSpec = {
    app: 'shop', version: 7, slugDir: '', pathPrepend: [],
    env: { DATABASE_URL: 'postgres://db/shop', APP_NAME: 'shop', RELEASE_VERSION: 'v7', PAAS_APP_URL: 'http://shop.apps.example.com/' },
    config: { DATABASE_URL: 'postgres://db/shop' },
    processes: [{ type: 'web', command: 'npm start', quantity: 2 }, { type: 'worker', command: 'node worker.js', quantity: 1 }, { type: 'queue_2', command: 'q', quantity: 0 }],
    image: 'registry.example.com:5000/shop@sha256:' + 'a'.repeat(64),
    domains: ['www.shop.example'],
    ...overrides,
  };
  return toKubeRelease(spec, config.registry, 3);
}

function deployment(objs: KubeObject[], name: string): IDeployment {
  return objs.find((o) => o.kind === 'Deployment' && o.metadata?.name === name) as IDeployment;
}

test('every object of a release is valid, with and without TLS, ingress class and a registry secret', () => {
  for (const settings of [config, tls]) {
    const objs = toReleaseObjects(settings, release());
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata?.name}`), [
      'Namespace/paas-app-shop', 'Secret/config-vars', 'ConfigMap/platform', 'Deployment/web', 'Deployment/worker',
      `Deployment/${processName('queue_2')}`, 'Service/web', 'Ingress/web',
    ]);
    for (const o of objs) assert.deepEqual(objectProblems(o), [], `${o.kind} ${o.metadata?.name}`);
    assert.deepEqual(crossProblems(objs), []);
    assertValid(objs);
  }
});

test('the build Job and the release Job are valid', () => {
  const build = toBuildJob(tls, { app: 'shop', buildId: '0b7f6a52-4d8e-4a57-9b8e-2b1f2a6c1d00', number: 3, token: 'secret-token' });
  const rel = toReleaseJob(tls, release(), 'npm run migrate');
  assertValid([build, rel]);
  assert.equal(build.metadata?.namespace, 'paas-builds', 'builds run in the build namespace, never the platform namespace');
  assert.equal(rel.metadata?.namespace, 'paas-app-shop');
});

test('the release Job ends at PAAS_RELEASE_TIMEOUT_SECONDS (whole seconds, at least 1)', () => {
  assert.equal(toReleaseJob(tls, release(), 'sleep infinity').spec?.activeDeadlineSeconds, 1800);
  assert.equal(toReleaseJob(tls, release(), 'sleep infinity', 90).spec?.activeDeadlineSeconds, 90);
  assert.equal(toReleaseJob(tls, release(), 'sleep infinity', 0.5).spec?.activeDeadlineSeconds, 1);
});

test('the build Job runs the builder, then Kaniko with the flags the design fixes', () => {
  const job = toBuildJob(tls, { app: 'shop', buildId: '0b7f6a52-4d8e-4a57-9b8e-2b1f2a6c1d00', number: 3, token: 'tok' });
  const pod = job.spec!.template.spec!;
  assert.equal(job.spec?.backoffLimit, 0);
  assert.ok(job.spec?.ttlSecondsAfterFinished);
  assert.equal(pod.restartPolicy, 'Never');
  const [builder] = pod.initContainers!;
  assert.equal(builder!.image, 'ghcr.io/paas/builder:0.1.0');
  const env = Object.fromEntries(builder!.env!.map((e) => [e.name, e.value]));
  assert.deepEqual(env, {
    PAAS_SOURCE_URL: 'http://paas-web.paas.svc:5000/internal/builds/0b7f6a52-4d8e-4a57-9b8e-2b1f2a6c1d00/source.tar',
    PAAS_BUILD_TOKEN_FILE: '/var/run/paas/build/token', PAAS_APP: 'shop', PAAS_BUILD_ID: '0b7f6a52-4d8e-4a57-9b8e-2b1f2a6c1d00',
  });
  const [kaniko] = pod.containers;
  assert.equal(kaniko!.image, 'ghcr.io/osscontainertools/kaniko');
  assert.deepEqual(kaniko!.args, [
    '--context=dir:///workspace', '--dockerfile=/workspace/Dockerfile', '--destination=registry.example.com:5000/apps/shop:3',
    '--cache=true', '--cache-repo=registry.example.com:5000/apps/shop/cache', '--digest-file=/dev/termination-log', '--push-retry=3',
  ]);
  assert.deepEqual(kaniko!.volumeMounts!.map((m) => m.mountPath), ['/workspace', '/kaniko/.docker']);
  const insecure = toBuildJob({ ...config, registry: 'kind-registry:5000/paas', registryInsecure: true }, { app: 'shop', buildId: 'b', number: 1, token: 't' });
  assert.deepEqual(insecure.spec!.template.spec!.containers[0]!.args!.slice(-2), ['--insecure', '--insecure-registry=kind-registry:5000']);
  // A Docker Hub mirror: Kaniko asks it first for the injected Dockerfiles' bases; plain HTTP too when the registry is.
  const args = (settings: Partial<typeof config>) => toBuildJob({ ...config, ...settings }, { app: 'shop', buildId: 'b', number: 1, token: 't' }).spec!.template.spec!.containers[0]!.args!;
  assert.deepEqual(args({ registryMirror: 'mirror.example.com/hub' }).slice(7), ['--registry-mirror=mirror.example.com/hub']);
  assert.deepEqual(args({ registry: 'kind-registry:5000/paas', registryInsecure: true, registryMirror: 'hub-mirror:5000/docker' }).slice(7), [
    '--registry-mirror=hub-mirror:5000/docker', '--insecure', '--insecure-registry=kind-registry:5000', '--insecure-registry=hub-mirror:5000',
  ]);
  assert.deepEqual(args({ registry: '172.17.0.1:5001', registryInsecure: true, registryMirror: '172.17.0.1:5001' }).slice(7), [
    '--registry-mirror=172.17.0.1:5001', '--insecure', '--insecure-registry=172.17.0.1:5001',
  ], 'the one registry that is also the mirror is named once');
  assert.ok(!args({ registryInsecure: true, registryMirror: 'm:5000' }).includes('--insecure-pull'), 'other registries (a user Dockerfile FROM ghcr.io/…) keep TLS');
  assert.equal(pod.volumes!.find((v) => v.name === 'docker-config')?.secret?.secretName, 'registry-push');
  assert.ok(kaniko!.resources?.limits?.memory && builder!.resources?.requests?.cpu);
});

test('every app, a one-letter one too, gets a repository name Kaniko accepts, with a registry path or without', () => {
  // go-containerregistry (Kaniko) refuses a repository (what follows the registry host) shorter than 2 characters.
  const repositoryOf = (ref: string) => ref.slice(ref.indexOf('/') + 1).replace(/[:@].*$/, '');
  for (const registry of ['172.17.0.1:5001', 'registry.example.com:5000/paas']) {
    const args = toBuildJob({ ...config, registry }, { app: 'x', buildId: 'b', number: 1, token: 't' }).spec!.template.spec!.containers[0]!.args!;
    const destination = args.find((a) => a.startsWith('--destination='))!.slice('--destination='.length);
    const cache = args.find((a) => a.startsWith('--cache-repo='))!.slice('--cache-repo='.length);
    assert.equal(destination, `${registry}/apps/x:1`);
    assert.equal(cache, `${registry}/apps/x/cache`);
    for (const ref of [destination, cache, imageByDigest(registry, 'x', `sha256:${'c'.repeat(64)}`), toKubeRelease({ ...release(), app: 'x', image: undefined }, registry, 2).image]) {
      assert.ok(repositoryOf(ref).length >= 2, `${ref}: repository ${repositoryOf(ref)}`);
    }
  }
});

test("app.json's first startup check becomes web's httpGet startup and readiness probe", () => {
  const check = { name: 'health', path: '/health', content: 'ok', attempts: 4, waitSeconds: 2, timeoutSeconds: 0.5, initialDelaySeconds: 1 };
  const c = deployment(toReleaseObjects(config, { ...release(), healthchecks: [check] }), 'web').spec!.template.spec!.containers[0]!;
  assert.deepEqual(c.startupProbe, { httpGet: { path: '/health', port: 'http', scheme: 'HTTP' }, failureThreshold: 4, initialDelaySeconds: 1, periodSeconds: 2, timeoutSeconds: 1 });
  assert.deepEqual(c.readinessProbe?.httpGet, { path: '/health', port: 'http', scheme: 'HTTP' });
});

test('without app.json checks, web gets TCP startup, readiness and a lenient liveness probe that starts after the startup probe', () => {
  const c = deployment(toReleaseObjects(config, release()), 'web').spec!.template.spec!.containers[0]!;
  const tcp = { tcpSocket: { port: 'http' } };
  assert.deepEqual(c.startupProbe, { ...tcp, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 150 }, 'up to the progress deadline (300 s) to open the port');
  assert.deepEqual(c.readinessProbe, { ...tcp, periodSeconds: 2, timeoutSeconds: 1, failureThreshold: 3 });
  assert.deepEqual(c.livenessProbe, { ...tcp, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 }, 'a minute without a connection before a restart');
  assert.deepEqual(c.livenessProbe, defaultLiveness());
  const worker = deployment(toReleaseObjects(config, release()), 'worker').spec!.template.spec!.containers[0]!;
  assert.deepEqual([worker.startupProbe, worker.readinessProbe, worker.livenessProbe], [undefined, undefined, undefined], 'only web is probed');
});

test("app.json's readiness and liveness checks become web's readiness and liveness probes (httpGet, with their timings)", () => {
  const startup = { name: 'up', path: '/up', attempts: 10, waitSeconds: 3, timeoutSeconds: 2, initialDelaySeconds: 0 };
  const readiness = { type: 'readiness' as const, name: 'r', path: '/ready?deep=1', attempts: 2, waitSeconds: 4.4, timeoutSeconds: 1.2, initialDelaySeconds: 0.4 };
  const liveness = { type: 'liveness' as const, name: 'l', path: '/live', attempts: 5, waitSeconds: 0, timeoutSeconds: 3, initialDelaySeconds: 20 };
  const objs = toReleaseObjects(config, { ...release(), healthchecks: [startup], probes: [readiness, liveness] });
  assertValid(objs);
  const c = deployment(objs, 'web').spec!.template.spec!.containers[0]!;
  assert.deepEqual(c.startupProbe, { httpGet: { path: '/up', port: 'http', scheme: 'HTTP' }, failureThreshold: 10, initialDelaySeconds: 0, periodSeconds: 3, timeoutSeconds: 2 });
  assert.deepEqual(c.readinessProbe, { httpGet: { path: '/ready?deep=1', port: 'http', scheme: 'HTTP' }, failureThreshold: 2, initialDelaySeconds: 0, periodSeconds: 4, timeoutSeconds: 2 });
  assert.deepEqual(c.livenessProbe, { httpGet: { path: '/live', port: 'http', scheme: 'HTTP' }, failureThreshold: 5, initialDelaySeconds: 20, periodSeconds: 1, timeoutSeconds: 3 });
  // A liveness check alone: the startup probe stays the TCP default, so liveness still waits for the port.
  const only = deployment(toReleaseObjects(config, { ...release(), probes: [liveness] }), 'web').spec!.template.spec!.containers[0]!;
  assert.deepEqual(only.startupProbe?.tcpSocket, { port: 'http' });
  assert.deepEqual(only.readinessProbe?.tcpSocket, { port: 'http' });
  assert.equal(only.livenessProbe?.httpGet?.path, '/live');
});

test('the validator refuses probes with a bad path, an unnamed port or timings out of range', () => {
  const web = structuredClone(deployment(toReleaseObjects(config, release()), 'web'));
  const c = web.spec!.template.spec!.containers[0]!;
  c.livenessProbe = { httpGet: { path: 'live me', port: 'http' }, periodSeconds: 0, timeoutSeconds: -1, failureThreshold: 1.5 };
  c.readinessProbe = { tcpSocket: { port: 'metrics' } };
  const problems = objectProblems(web).join('\n');
  assert.match(problems, /livenessProbe path is not an absolute path/);
  assert.match(problems, /livenessProbe periodSeconds 0 is not a whole number from 1/);
  assert.match(problems, /livenessProbe timeoutSeconds -1/);
  assert.match(problems, /livenessProbe failureThreshold 1.5/);
  assert.match(problems, /readinessProbe uses port "metrics", which the container does not name/);
});

test('an autoscaled type gets a HorizontalPodAutoscaler named and targeting its Deployment, which leaves replicas to it', () => {
  const r = release({ processes: [
    { type: 'web', command: 'npm start', quantity: 2, autoscale: { min: 2, max: 8, cpu: 65 } },
    { type: 'worker', command: 'node worker.js', quantity: 1 },
    { type: 'queue_2', command: 'q', quantity: 0, autoscale: { min: 1, max: 3, cpu: 90 } },
  ] });
  for (const version of HPA_API_VERSIONS) {
    const objs = toReleaseObjects(config, r, version);
    assertValid(objs);
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata?.name}`).slice(3, 8), [
      'Deployment/web', 'Deployment/worker', `Deployment/${processName('queue_2')}`, 'HorizontalPodAutoscaler/web', `HorizontalPodAutoscaler/${processName('queue_2')}`,
    ]);
    const hpa = objs.find((o) => o.kind === 'HorizontalPodAutoscaler') as HorizontalPodAutoscaler;
    assert.deepEqual(hpa, {
      apiVersion: version, kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', namespace: 'paas-app-shop', labels: { ...deployment(objs, 'web').metadata!.labels } },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 8,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 65 } } }],
      },
    });
    assert.equal(deployment(objs, 'web').spec?.replicas, undefined, 'the autoscaler owns the count');
    assert.equal(deployment(objs, 'worker').spec?.replicas, 1);
  }
  assert.deepEqual(toReleaseObjects(config, r).filter((o) => o.kind === 'HorizontalPodAutoscaler').map((o) => o.apiVersion), ['autoscaling/v2', 'autoscaling/v2'], 'v2 unless told');
  assert.equal(toReleaseObjects(config, release()).filter((o) => o.kind === 'HorizontalPodAutoscaler').length, 0);
});

test('discovery picks autoscaling/v2 when served, else v2beta2 (Kubernetes 1.20), else none', () => {
  assert.equal(toHpaApiVersion(['autoscaling/v1', 'autoscaling/v2', 'autoscaling/v2beta2']), 'autoscaling/v2');
  assert.equal(toHpaApiVersion(['autoscaling/v1', 'autoscaling/v2beta1', 'autoscaling/v2beta2']), 'autoscaling/v2beta2');
  assert.equal(toHpaApiVersion(['autoscaling/v1']), undefined);
});

test('the validator refuses an autoscaler that is out of range, targets nothing, or shares the count with its Deployment', () => {
  const r = release({ processes: [{ type: 'web', command: 'npm start', quantity: 2, autoscale: { min: 2, max: 8, cpu: 65 } }] });
  const objs = toReleaseObjects(config, r, 'autoscaling/v2beta2');
  const hpa = structuredClone(objs.find((o) => o.kind === 'HorizontalPodAutoscaler') as HorizontalPodAutoscaler);
  hpa.spec.minReplicas = 9;
  hpa.spec.metrics[0]!.resource.target.averageUtilization = 0;
  const problems = objectProblems(hpa).join('\n');
  assert.match(problems, /minReplicas 9 and maxReplicas 8/);
  assert.match(problems, /CPU Utilization from 1 to 100/);
  assert.match(objectProblems({ ...hpa, apiVersion: 'autoscaling/v1' } as never).join('\n'), /autoscaling\/v1 HorizontalPodAutoscaler is not a kind the controller writes/);
  const target = structuredClone(objs.find((o) => o.kind === 'HorizontalPodAutoscaler') as HorizontalPodAutoscaler);
  target.spec.scaleTargetRef.name = 'worker';
  assert.match(crossProblems([...objs, target]).join('\n'), /targets a missing Deployment worker/);
  const fighting = objs.map((o) => (o.kind === 'Deployment' ? { ...o, spec: { ...(o as IDeployment).spec!, replicas: 2 } } : o));
  assert.match(crossProblems(fighting).join('\n'), /Deployment web sets replicas although HorizontalPodAutoscaler web scales it/);
});

test('Deployments: replicas from the formation, readiness on the web port, config hash on the template, labels everywhere', () => {
  const objs = toReleaseObjects(config, release());
  const web = deployment(objs, 'web');
  assert.equal(web.spec?.replicas, 2);
  assert.equal(web.spec?.revisionHistoryLimit, 5);
  assert.ok(web.spec?.progressDeadlineSeconds);
  const c = web.spec!.template.spec!.containers[0]!;
  assert.equal(c.image, release().image);
  assert.equal(c.command, undefined, "web runs the image's CMD");
  assert.deepEqual(c.readinessProbe?.tcpSocket?.port, 'http');
  assert.deepEqual(c.ports, [{ name: 'http', containerPort: 5000, protocol: 'TCP' }]);
  assert.ok(c.resources?.requests && c.resources.limits);
  assert.match(web.spec!.template.metadata!.annotations!['paas.dev/config-hash']!, /^[0-9a-f]{16}$/);
  assert.deepEqual(deployment(objs, 'worker').spec!.template.spec!.containers[0]!.command, ['/bin/sh', '-c', 'node worker.js']);
  assert.equal(deployment(objs, processName('queue_2')).spec?.replicas, 0);
  for (const o of objs) {
    const labels = (o.metadata as { labels?: Record<string, string> }).labels ?? {};
    assert.equal(labels['app.kubernetes.io/instance'], 'shop', `${o.kind} is labelled`);
    assert.equal(labels['app.kubernetes.io/managed-by'], 'paas');
  }
});

test('a config change changes the pod template hash; the same config keeps it', () => {
  const a = release();
  const b = release({ config: { DATABASE_URL: 'postgres://other/shop' }, env: { ...a.env, DATABASE_URL: 'postgres://other/shop' } });
  assert.equal(configHash(a), configHash(release()));
  assert.notEqual(configHash(a), configHash(b));
  const web = (r: KubeRelease) => toDeployment(config, r, r.processes[0]!).spec!.template.metadata!.annotations!['paas.dev/config-hash'];
  assert.notEqual(web(a), web(b));
});

test('config vars go in the Secret, platform values in the ConfigMap', () => {
  const [, secret, cm] = toReleaseObjects(config, release()) as [KubeObject, { data: Record<string, string> }, { data: Record<string, string> }];
  assert.deepEqual(Object.keys(secret.data), ['DATABASE_URL']);
  assert.equal(Buffer.from(secret.data.DATABASE_URL!, 'base64').toString(), 'postgres://db/shop');
  assert.deepEqual(cm.data, { APP_NAME: 'shop', PAAS_APP_URL: 'http://shop.apps.example.com/', PORT: '5000', RELEASE_VERSION: 'v7' });
});

test('the Ingress serves <app>.<base domain> and the custom domains; TLS through cert-manager when configured', () => {
  const plain = toReleaseObjects(config, release()).find((o) => o.kind === 'Ingress') as IIngress;
  assert.deepEqual(plain.spec?.rules?.map((r) => r.host), ['shop.apps.example.com', 'www.shop.example']);
  assert.equal(plain.spec?.tls, undefined);
  assert.equal(plain.spec?.ingressClassName, undefined);
  const secure = toReleaseObjects(tls, release()).find((o) => o.kind === 'Ingress') as IIngress;
  assert.equal(secure.metadata?.annotations?.['cert-manager.io/cluster-issuer'], 'letsencrypt');
  assert.equal(secure.spec?.ingressClassName, 'nginx');
  assert.deepEqual(secure.spec?.tls, [{ hosts: ['shop.apps.example.com', 'www.shop.example'], secretName: 'web-tls' }]);
});

test('an app without web gets no Service or Ingress', () => {
  const objs = toReleaseObjects(config, release({ processes: [{ type: 'worker', command: 'w', quantity: 1 }] }));
  assert.deepEqual(objs.map((o) => o.kind), ['Namespace', 'Secret', 'ConfigMap', 'Deployment']);
  assertValid(objs);
});

test('names stay DNS-1123 labels for any app and type, and different inputs never share one', () => {
  const long = 'a'.repeat(63);
  assert.equal(appNamespace('paas-app-', 'shop'), 'paas-app-shop');
  assert.ok(appNamespace('paas-app-', long).length <= 63);
  assert.notEqual(appNamespace('paas-app-', long), appNamespace('paas-app-', `${'a'.repeat(62)}b`));
  assert.ok(buildJobName(long, 12345).length <= 63);
  assert.notEqual(toDnsLabel('a_b'), toDnsLabel('a-b'));
  assert.equal(toDnsLabel('web'), 'web');
  const r = release({ app: '1shop', processes: [{ type: 'web', command: 'x', quantity: 1 }, { type: 'Worker_', command: 'y', quantity: 1 }] });
  assertValid(toReleaseObjects(config, r));
});

test('the extra checks catch what the schema lets through', () => {
  const objs = toReleaseObjects(config, release());
  const web = structuredClone(deployment(objs, 'web'));
  web.metadata!.name = 'Web_1';
  web.spec!.template.spec!.containers[0]!.ports![0]!.containerPort = 70000;
  web.spec!.selector.matchLabels = { 'app.kubernetes.io/component': 'other' };
  const problems = objectProblems(web).join('\n');
  assert.match(problems, /name "Web_1" is not a DNS-1123 subdomain/);
  assert.match(problems, /containerPort 70000 is not a port/);
  assert.match(problems, /selector does not match the template labels/);
  const svc = objs.find((o) => o.kind === 'Service')!;
  assert.match(crossProblems([svc]).join('\n'), /selects no Deployment/);
  assert.match(crossProblems([objs.find((o) => o.kind === 'Ingress')!]).join('\n'), /missing Service web/);
  assert.throws(() => assertValid([web]), /Refusing to apply invalid Kubernetes objects/);
});
