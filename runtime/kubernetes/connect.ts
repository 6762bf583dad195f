// runtime/kubernetes/connect.ts — makes the Kubernetes drivers from the platform Config: the controller
// uses both; the CLI (ps, logs) uses the runtime from whichever process it runs in.
import type { Knex } from 'knex';
import type { Config } from '../../core/config.ts';
import { KubernetesBuildDriver } from './build-job.ts';
import { connectKube, kubeConfigFrom, type Kube } from './client.ts';
import { KubernetesRuntime } from './kubernetes-runtime.ts';

const clients = new WeakMap<Config, Kube>();

/** One client per Config (the kubeconfig is read once). */
export function kubeFor(config: Config): Kube {
  let kube = clients.get(config);
  if (!kube) clients.set(config, (kube = connectKube(kubeConfigFrom(config))));
  return kube;
}

/** The Kubernetes runtime driver for this Config. */
export function kubernetesRuntimeFor(config: Config): KubernetesRuntime {
  return new KubernetesRuntime(kubeFor(config), config);
}

/** The Kubernetes build driver for this Config (it records build tokens in the database). */
export function kubernetesBuildsFor(config: Config, db: Knex): KubernetesBuildDriver {
  return new KubernetesBuildDriver(kubeFor(config), config, db);
}
