// test/support/kube-platform.ts — the platform started as a user would in Kubernetes mode against the real test
// cluster (scripts/test-cluster.sh): its own namespaces for one test file, gitd reachable from build pods at the
// host's docker0 address, the cluster's registry (and its mirror of Docker Hub names), Kaniko and builder images;
// plus what the end-to-end tests read back from the cluster: an app's Service answering, its Deployment's image.
import http from 'node:http';
import type { V1Deployment } from '@kubernetes/client-node';
import { findFreePort } from '../../core/net.ts';
import { isNotFound } from '../../runtime/kubernetes/client.ts';
import { requireCluster, uniquePrefix, type TestCluster } from './cluster.ts';
import { startPlatform, type Platform } from './platform.ts';
import { stopPlatform } from './push.ts';

export interface KubePlatform {
  p: Platform;
  cluster: TestCluster;
  /** The app's namespace, `<prefix><app>`. */
  appNamespace(app: string): string;
  buildNamespace: string;
  /** PAAS_REGISTRY: the cluster's registry with a path unique to this platform, `172.17.0.1:5001/t1a2b3c4d`. */
  registry: string;
  destroy(): Promise<void>;
}

/** The environment of a platform in Kubernetes mode on the test cluster, namespaces named after `prefix`. */
export function kubePlatformEnv(cluster: TestCluster, prefix: string, httpPort: number): NodeJS.ProcessEnv {
  return {
    PAAS_RUNTIME: 'kubernetes',
    KUBECONFIG: cluster.kubeconfig,
    PAAS_NAMESPACE: `${prefix}paas`,
    PAAS_NAMESPACE_PREFIX: `${prefix}app-`,
    PAAS_BUILD_NAMESPACE: `${prefix}builds`,
    // A repository path of the run's own: Kaniko's layer cache (`<registry>/<app>/cache`) outlives a run in the
    // cluster's registry, and a first push must build from nothing, not from an earlier run's layers.
    PAAS_REGISTRY: `${cluster.registry}/${prefix.replace(/-$/, '')}`,
    PAAS_REGISTRY_INSECURE: 'true',
    PAAS_REGISTRY_MIRROR: cluster.mirror,
    PAAS_KANIKO_IMAGE: cluster.kanikoImage,
    PAAS_BUILDER_IMAGE: cluster.builderImage,
    // Build pods fetch the pushed source from gitd at the host's bridge address: the platform listens on every
    // address (its default), on a port chosen before it boots since its URL is part of its configuration.
    PAAS_HOST: '0.0.0.0',
    PAAS_HTTP_PORT: String(httpPort),
    PAAS_GITD_URL: `http://${cluster.hostAddress}:${httpPort}`,
  };
}

/**
 * Starts the platform in Kubernetes mode with namespaces unique to this test file: the platform's own (created
 * first, as an operator would), its build namespace and its apps' (made by the controller). `destroy()` stops the
 * platform, removes its schema and data dir, and deletes every namespace of the prefix (not waiting for them to go).
 */
export async function startKubePlatform(env: NodeJS.ProcessEnv = {}): Promise<KubePlatform> {
  const cluster = requireCluster();
  const prefix = uniquePrefix();
  const base = kubePlatformEnv(cluster, prefix, await findFreePort());
  await cluster.kube.core.createNamespace({ body: { metadata: { name: base.PAAS_NAMESPACE! } } });
  const deleteNamespaces = async () => {
    const all = await cluster.kube.core.listNamespace();
    for (const ns of all.items.map((n) => n.metadata!.name!).filter((n) => n.startsWith(prefix))) {
      await cluster.kube.core.deleteNamespace({ name: ns }).catch((err: unknown) => { if (!isNotFound(err)) throw err; });
    }
  };
  let p: Platform;
  try {
    p = await startPlatform({ env: { PAAS_BOOT_TIMEOUT_MS: '60000', ...base, ...env } });
  } catch (err) {
    await deleteNamespaces();
    throw err;
  }
  return {
    p, cluster, buildNamespace: base.PAAS_BUILD_NAMESPACE!, registry: base.PAAS_REGISTRY!,
    appNamespace: (app) => `${base.PAAS_NAMESPACE_PREFIX}${app}`,
    async destroy() {
      try {
        await stopPlatform(p);
      } finally {
        await deleteNamespaces();
      }
    },
  };
}

/** GETs the app through its Service's ClusterIP (kube-proxy answers for it on the host), on a fresh connection. */
export async function getService(k: KubePlatform, app: string, pathName = '/'): Promise<{ status: number; body: string }> {
  const svc = await k.cluster.kube.core.readNamespacedService({ namespace: k.appNamespace(app), name: 'web' });
  const ip = svc.spec!.clusterIP!;
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port: 80, path: pathName, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
}

/** A type's Deployment as the cluster has it. */
export async function deploymentOf(k: KubePlatform, app: string, type = 'web'): Promise<V1Deployment | undefined> {
  try {
    return await k.cluster.kube.apps.readNamespacedDeployment({ namespace: k.appNamespace(app), name: type });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The image the type's Deployment runs. */
export async function imageOf(k: KubePlatform, app: string, type = 'web'): Promise<string | undefined> {
  return (await deploymentOf(k, app, type))?.spec?.template.spec?.containers[0]?.image;
}
