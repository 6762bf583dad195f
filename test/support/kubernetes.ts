// test/support/kubernetes.ts — helpers for the Kubernetes-mode tests on the real test cluster
// (scripts/test-cluster.sh, test/support/cluster.ts): namespaces unique to the test (the platform's, the builds',
// and the app namespace prefix), deleted when it ends; a Config pointing the drivers at the cluster and its registry;
// release specs as the deployer makes them; and the web Service's ClusterIP, which the test process can reach.
import http from 'node:http';
import { after, before, type TestContext } from 'node:test';
import { loadConfig, type Config } from '../../core/config.ts';
import { isNotFound, type Kube } from '../../runtime/kubernetes/client.ts';
import { appNamespace } from '../../runtime/kubernetes/names.ts';
import type { ReleaseSpec } from '../../runtime/types.ts';
import { deleteNamespacesAfter, eventually, requireCluster, uniquePrefix, type TestCluster } from './cluster.ts';

export interface KubeWorld {
  cluster: TestCluster;
  kube: Kube;
  config: Config;
  /** The admin kubeconfig file (give it as KUBECONFIG to what the test starts). */
  kubeconfig: string;
  /** This test's prefix (`t1a2b3c4d-`); its namespaces are `<prefix>paas`, `<prefix>builds` and `<prefix>app-<app>`. */
  prefix: string;
  /** The namespace an app of this world runs in. */
  appNamespace(app: string): string;
}

/**
 * How long a new web pod may run without becoming ready: a node server answers within a second or two of its
 * container starting on this kubelet, readiness is probed every 2 s, and the CI machine has 2 busy cores.
 */
export const KUBE_BOOT_TIMEOUT_MS = 12_000;

/**
 * The test cluster with namespaces of this test only: the platform namespace (created here), the build namespace
 * and the app namespace prefix (created by the drivers). All of them are deleted when the test ends. The Config is
 * Kubernetes mode with the cluster's plain-HTTP registry and the admin kubeconfig; `env` adds or overrides settings.
 */
export async function startKubeWorld(t: { after(fn: () => Promise<void> | void): void }, env: NodeJS.ProcessEnv = {}): Promise<KubeWorld> {
  const cluster = requireCluster();
  const prefix = uniquePrefix();
  const config = loadConfig({
    PAAS_RUNTIME: 'kubernetes', KUBECONFIG: cluster.kubeconfig,
    PAAS_NAMESPACE: `${prefix}paas`, PAAS_NAMESPACE_PREFIX: `${prefix}app-`, PAAS_BUILD_NAMESPACE: `${prefix}builds`,
    PAAS_REGISTRY: cluster.registry, PAAS_REGISTRY_INSECURE: 'true',
    PAAS_KANIKO_IMAGE: cluster.kanikoImage, PAAS_BUILDER_IMAGE: cluster.builderImage,
    PAAS_BASE_DOMAIN: 'apps.test', PAAS_BOOT_TIMEOUT_MS: String(KUBE_BOOT_TIMEOUT_MS),
    ...env,
  });
  const kube = cluster.kube;
  // Every namespace with the prefix (the platform's, the builds' and each app's), listed when the test ends, in the
  // same hook as the deletes: hooks of a suite and of a test do not run in the same order.
  let created: string[] = [config.namespace, config.buildNamespace];
  const listThen = { after: (fn: () => Promise<void>) => t.after(async () => {
    const all = await kube.core.listNamespace();
    created = all.items.map((n) => n.metadata?.name ?? '').filter((n) => n.startsWith(prefix));
    await fn();
  }) };
  deleteNamespacesAfter(listThen as unknown as TestContext, kube, () => created);
  await kube.core.createNamespace({ body: { metadata: { name: config.namespace, labels: { 'paas.dev/test': 'true' } } } });
  return { cluster, kube, config, kubeconfig: cluster.kubeconfig, prefix, appNamespace: (app) => appNamespace(config.namespacePrefix, app) };
}

/**
 * One world for every test of a file: call it at the file's top level (node:test runs an `after` registered inside a
 * `before` hook at once, so the world's clean-up is registered here, before any hook runs); it is made in a `before`.
 */
export function sharedKubeWorld(env: NodeJS.ProcessEnv = {}): Promise<KubeWorld> {
  const cleanups: Array<() => Promise<void> | void> = [];
  after(async () => {
    for (const fn of cleanups) await fn();
  });
  let settle!: { resolve(w: KubeWorld): void; reject(err: unknown): void };
  const world = new Promise<KubeWorld>((resolve, reject) => { settle = { resolve, reject }; });
  world.catch(() => undefined); // the before hook reports it
  before(async () => {
    try {
      settle.resolve(await startKubeWorld({ after: (fn) => cleanups.push(fn) }, env));
    } catch (err) {
      settle.reject(err);
      throw err;
    }
  });
  return world;
}

/** A well-formed digest that no image in the registry has (pulling it fails: ImagePullBackOff). */
export const digestOf = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

/**
 * A release spec as the deployer makes it. Its image defaults to `<registry>/<app>@<digestOf(version)>`, which does
 * not exist: give `image` (test/support/kube-images.ts) for pods that run.
 */
export function kubeSpec(app: string, version: number, overrides: Partial<ReleaseSpec> = {}): ReleaseSpec {
  const config = overrides.config ?? { GREETING: 'hello' };
  const registry = process.env.PAAS_TEST_REGISTRY ?? 'registry.test:5000';
  return {
    app, version, slugDir: '', pathPrepend: [],
    env: { ...config, APP_NAME: app, RELEASE_VERSION: `v${version}`, PAAS_APP_URL: `http://${app}.apps.test/` },
    config,
    processes: [{ type: 'web', command: 'node server.js', quantity: 1 }],
    image: `${registry}/${app}@${digestOf(version)}`,
    ...overrides,
  };
}

/** GETs `path` from the app's web Service through its ClusterIP (kube-proxy makes it reachable from the host). */
export async function getFromService(kube: Kube, ns: string, path = '/'): Promise<{ status: number; body: string }> {
  const svc = await kube.core.readNamespacedService({ namespace: ns, name: 'web' });
  const ip = svc.spec?.clusterIP;
  const port = svc.spec?.ports?.[0]?.port ?? 80;
  if (!ip || ip === 'None') throw new Error(`Service ${ns}/web has no ClusterIP`);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: ip, port, path, timeout: 3000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${ip}:${port}${path}: no answer within 3 s`)));
    req.on('error', reject);
  });
}

/** Waits until the app's Service answers `path` with a body matching `expected`; returns the body. */
export function serviceAnswers(kube: Kube, ns: string, expected: RegExp, path = '/', timeoutMs = 30_000): Promise<string> {
  return eventually(`${ns}/web answering ${expected}`, async () => {
    const res = await getFromService(kube, ns, path);
    return res.status === 200 && expected.test(res.body) ? res.body : undefined;
  }, timeoutMs);
}

/**
 * GETs `path` until the Service answers 200: kube-proxy programs a new Service's ClusterIP (and a changed set of
 * endpoints) a moment after the API server has it, and connections meanwhile are refused.
 */
export function askService(kube: Kube, ns: string, path: string, timeoutMs = 20_000): Promise<string> {
  return eventually(`${ns}/web answering ${path}`, async () => {
    const res = await getFromService(kube, ns, path);
    return res.status === 200 ? res.body : undefined;
  }, timeoutMs);
}

/** Waits until the namespace is gone (a namespace's deletion finishes only once everything in it is gone). */
export function namespaceGone(kube: Kube, ns: string, timeoutMs = 90_000): Promise<true> {
  return eventually(`namespace ${ns} gone`, async () => {
    try {
      await kube.core.readNamespace({ name: ns });
      return undefined;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  }, timeoutMs);
}
