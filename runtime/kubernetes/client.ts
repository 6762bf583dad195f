// runtime/kubernetes/client.ts — the one place the Kubernetes API client is made: from a kubeconfig
// file, the in-cluster service account, or (in tests) the test cluster's admin kubeconfig; plus the
// helpers that read the API's errors.
import {
  ApiException, AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, KubernetesObjectApi, Log,
} from '@kubernetes/client-node';
import type { Config } from '../../core/config.ts';
import { PaasError } from '../../core/errors.ts';

/** The typed and generic API clients over one KubeConfig. */
export interface Kube {
  kc: KubeConfig;
  objects: KubernetesObjectApi;
  core: CoreV1Api;
  apps: AppsV1Api;
  batch: BatchV1Api;
  log: Log;
}

/** Loads the kubeconfig: PAAS's KUBECONFIG file when set, else in-cluster (or ~/.kube/config), as kubectl does. */
export function kubeConfigFrom(config: Pick<Config, 'kubeconfig'>): KubeConfig {
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromDefault();
  return kc;
}

/** Makes the clients; no request is sent until one is used. */
export function connectKube(kc: KubeConfig): Kube {
  return {
    kc,
    objects: KubernetesObjectApi.makeApiClient(kc),
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    batch: kc.makeApiClient(BatchV1Api),
    log: new Log(kc),
  };
}

/** The HTTP status of an API error, if it is one. */
export function statusOf(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;

/** The API server's own message (from its Status body) for an error, else the error's message. */
export function apiMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = typeof err.body === 'string' ? safeParse(err.body) : err.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? message : `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * What a 403 adds: RBAC refused the platform's own ServiceAccount (the API server's message names the user, the verb,
 * the resource and the namespace), so the operator's fix is a right in the chart's RBAC, not anything the user did.
 */
export const FORBIDDEN_HINT = 'RBAC forbids it: grant the platform\'s ServiceAccount this right in the chart\'s ClusterRole (charts/paas/README.md, "RBAC")';

/** RBAC's own refusal, as the API server words it (`User "…" cannot patch resource "deployments" …`). */
const RBAC_REFUSAL = /User ".*" cannot \S+ resource/;

/**
 * True when a 403 is RBAC refusing the caller. Not every 403 is: a ResourceQuota's "exceeded quota", "namespace … is
 * being terminated" and admission webhooks' refusals are 403 too, and granting a right would fix none of them.
 */
export function isRbacRefusal(err: unknown): boolean {
  if (statusOf(err) !== 403) return false;
  const body: unknown = err instanceof ApiException && typeof err.body === 'string' ? safeParse(err.body) : (err as { body?: unknown }).body;
  return (body as { reason?: unknown } | undefined)?.reason === 'Forbidden' && RBAC_REFUSAL.test(apiMessage(err));
}

/** Wraps an API failure as a PaasError the push can show, keeping the cause for the log. */
export function kubeError(what: string, err: unknown): PaasError {
  const hint = isRbacRefusal(err) ? `; ${FORBIDDEN_HINT}` : '';
  return new PaasError('E_INTERNAL', `Kubernetes refused to ${what}: ${apiMessage(err)}${hint}`, { cause: err });
}
