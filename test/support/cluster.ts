// test/support/cluster.ts — the real test cluster (scripts/test-cluster.sh) as the Kubernetes tests see it: its admin
// kubeconfig, the registry and images it made, and names unique to one test run. `.ci/run` brings the cluster up and
// exports what `scripts/test-cluster.sh env` prints; a test without it fails saying so, never passes by skipping.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { connectKube, isNotFound, type Kube } from '../../runtime/kubernetes/client.ts';

export interface TestCluster {
  /** An admin (system:masters) kubeconfig file for the API server. */
  kubeconfig: string;
  kube: Kube;
  /** Where pods reach services on the host (the docker0 address): gitd's URL for build pods. */
  hostAddress: string;
  /** The plain-HTTP registry, `host:port`; Kaniko pushes there and the kubelet pulls from it. */
  registry: string;
  /** The registry that holds Docker Hub's names (`library/node:20-alpine` …) for Kaniko's `--registry-mirror`. */
  mirror: string;
  kanikoImage: string;
  builderImage: string;
  platformImage: string;
  kubectl: string;
}

const NOT_UP = 'no test cluster: run `scripts/test-cluster.sh up` and `eval "$(scripts/test-cluster.sh env)"` (.ci/run does both)';

let cluster: TestCluster | undefined;

/**
 * .ci/run brings the cluster up beside the first tests (npm test runs the Kubernetes files last): it sets
 * PAAS_TEST_CLUSTER_PENDING to a folder where `up` leaves `status` (its exit code) and `env` (what `env` printed).
 * Waits for `status` (blocking: test files ask for the cluster while they are set up) and loads `env`.
 */
function awaitPendingCluster(env: NodeJS.ProcessEnv): void {
  const dir = env.PAAS_TEST_CLUSTER_PENDING;
  if (!dir || env.PAAS_TEST_KUBECONFIG) return;
  const waitS = Number(env.PAAS_TEST_CLUSTER_WAIT_S ?? 3600);
  const until = Date.now() + waitS * 1000;
  const statusFile = path.join(dir, 'status');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!fs.existsSync(statusFile)) {
    if (Date.now() > until) throw new Error(`${NOT_UP} (still coming up after ${waitS} s: see ${dir}/log)`);
    Atomics.wait(pause, 0, 0, 1000); // a poll interval under the deadline above
  }
  const status = fs.readFileSync(statusFile, 'utf8').trim();
  if (status !== '0') throw new Error(`${NOT_UP} (scripts/test-cluster.sh up failed with exit ${status}: see ${dir}/log)`);
  for (const line of fs.readFileSync(path.join(dir, 'env'), 'utf8').split('\n')) {
    const m = /^export (PAAS_TEST_[A-Z_]+)=(\S+)$/.exec(line);
    if (m) env[m[1]!] = m[2]!;
  }
}

/** The test cluster; throws (the test fails) when `scripts/test-cluster.sh env` was not exported. */
export function requireCluster(env: NodeJS.ProcessEnv = process.env): TestCluster {
  if (cluster) return cluster;
  awaitPendingCluster(env);
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`${NOT_UP} (${name} is not set)`);
    return value;
  };
  const kubeconfig = need('PAAS_TEST_KUBECONFIG');
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  cluster = {
    kubeconfig, kube: connectKube(kc),
    hostAddress: need('PAAS_TEST_HOST_ADDRESS'),
    registry: need('PAAS_TEST_REGISTRY'),
    mirror: need('PAAS_TEST_REGISTRY_MIRROR'),
    kanikoImage: need('PAAS_TEST_KANIKO_IMAGE'),
    builderImage: need('PAAS_TEST_BUILDER_IMAGE'),
    platformImage: need('PAAS_TEST_PLATFORM_IMAGE'),
    kubectl: need('PAAS_TEST_KUBECTL'),
  };
  return cluster;
}

/** A DNS-1123 label prefix unique to this test: `t<8 hex>-`, so tests sharing the cluster never meet. */
export function uniquePrefix(): string {
  return `t${crypto.randomBytes(4).toString('hex')}-`;
}

/** Deletes the namespaces when the test ends (not waiting for them to go: the cluster finishes that on its own). */
export function deleteNamespacesAfter(t: TestContext, kube: Kube, names: () => string[]): void {
  t.after(async () => {
    for (const name of names()) {
      await kube.core.deleteNamespace({ name }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  });
}

/** Polls `check` until it returns a value (not undefined), failing after `timeoutMs` with `what` and the last error. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 250)); // a poll interval under the deadline above
  }
}
