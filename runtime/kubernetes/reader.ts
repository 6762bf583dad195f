// runtime/kubernetes/reader.ts — the Kubernetes mode's RuntimeReader: an app's pods as `ps` rows, and their
// logs from the kubelet through the API (the last lines across pods, then every new line, old pods and new).
// The driver (kubernetes-runtime.ts) reads through it too.
import type { V1Pod } from '@kubernetes/client-node';
import type { Config } from '../../core/config.ts';
import type { LogOptions, RuntimeReader } from '../reader.ts';
import type { ProcessStatus } from '../types.ts';
import { isNotFound, kubeError, type Kube } from './client.ts';
import { followAppLogs } from './logs.ts';
import { appNamespace, appSelector, labelKeys } from './names.ts';
import { toProcessStatuses } from './process-status.ts';

export class KubernetesReader implements RuntimeReader {
  constructor(private kube: Kube, private config: Pick<Config, 'namespacePrefix'>) {}

  /** The app's pods of any release; an app never deployed (no namespace yet) has none. */
  async status(app: string): Promise<ProcessStatus[]> {
    const pods = await this.kube.core.listNamespacedPod({ namespace: this.ns(app), labelSelector: this.selector(app) })
      .catch((err: unknown) => { if (isNotFound(err)) return { items: [] as V1Pod[] }; throw kubeError('list pods', err); });
    return toProcessStatuses(app, pods.items);
  }

  logs(app: string, opts: LogOptions, onLine: (line: string) => void): Promise<void> {
    return followAppLogs(this.kube, this.ns(app), this.selector(app), opts, onLine);
  }

  private ns(app: string): string {
    return appNamespace(this.config.namespacePrefix, app);
  }

  /** The app's release pods (not its build or release-phase Jobs' pods). */
  private selector(app: string): string {
    return `${appSelector(app)},${labelKeys.release}`;
  }
}
