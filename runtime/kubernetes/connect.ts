// runtime/kubernetes/connect.ts — makes the Kubernetes drivers and reader from the platform Config; only
// runtime/select.ts loads it (lazily, so the embedded mode never loads the Kubernetes client).
import type { Knex } from 'knex';
import type { Config } from '../../core/config.ts';
import type { Logger } from '../../core/logger.ts';
import { KubernetesBuildDriver } from './build-job.ts';
import { connectKube, kubeConfigFrom, type Kube } from './client.ts';
import { KubernetesRuntime } from './kubernetes-runtime.ts';
import { KubernetesReader } from './reader.ts';

const clients = new WeakMap<Config, Kube>();

/** One client per Config (the kubeconfig is read once). */
export function kubeFor(config: Config): Kube {
  let kube = clients.get(config);
  if (!kube) clients.set(config, (kube = connectKube(kubeConfigFrom(config))));
  return kube;
}

/** The Kubernetes runtime driver for this Config (its warnings go to `log`). */
export function kubernetesRuntimeFor(config: Config, log?: Logger): KubernetesRuntime {
  return new KubernetesRuntime(kubeFor(config), config, log);
}

/** The Kubernetes build driver for this Config (it records build tokens in the database). */
export function kubernetesBuildsFor(config: Config, db: Knex): KubernetesBuildDriver {
  return new KubernetesBuildDriver(kubeFor(config), config, db);
}

/** The Kubernetes read port (ps, logs) for this Config. */
export function kubernetesReaderFor(config: Config): KubernetesReader {
  return new KubernetesReader(kubeFor(config), config);
}
