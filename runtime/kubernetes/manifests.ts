// runtime/kubernetes/manifests.ts — pure functions that turn a release into the Kubernetes objects the
// runtime applies (namespace, config Secret, platform ConfigMap, a Deployment per process type and a
// HorizontalPodAutoscaler per autoscaled one, web Service and Ingresses, and the uploaded certificate's TLS Secret: edge-manifests.ts). No I/O: `paas manifests` prints exactly what these return, and the tests validate every object.
import crypto from 'node:crypto';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { IService } from 'kubernetes-models/v1/Service';
import type { Config } from '../../core/config.ts';
import { toEdgeObjects } from './edge-manifests.ts';
import type { ProcessSpec, ReleaseSpec, StartupCheck } from '../types.ts';
import {
  annotationKeys, appLabels, appNamespace, appRepository, labelKeys, objectNames, processName, processSelector,
} from './names.ts';

/** The settings manifests depend on (a subset of the platform Config). */
export type ManifestSettings = Pick<Config, 'baseDomain' | 'namespacePrefix' | 'registry' | 'ingressClass' | 'tlsIssuer' | 'registryPullSecret' | 'appLimits'>;

/** Every object the runtime writes, as plain JSON with its kind. */
export type KubeObject = INamespace | ISecret | IConfigMap | IDeployment | IService | IIngress | HorizontalPodAutoscaler | { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } };

/** The HorizontalPodAutoscaler versions the controller writes, preferred first: v2 (Kubernetes 1.23 on), v2beta2 (1.12-1.25). */
export const HPA_API_VERSIONS = ['autoscaling/v2', 'autoscaling/v2beta2'] as const;
export type HpaApiVersion = typeof HPA_API_VERSIONS[number];

/** A HorizontalPodAutoscaler (autoscaling/v2 and v2beta2 spell this part the same way). */
export interface HorizontalPodAutoscaler {
  apiVersion: HpaApiVersion; kind: 'HorizontalPodAutoscaler';
  metadata: { name: string; namespace: string; labels: Record<string, string> };
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1'; kind: 'Deployment'; name: string };
    minReplicas: number; maxReplicas: number;
    metrics: Array<{ type: 'Resource'; resource: { name: 'cpu'; target: { type: 'Utilization'; averageUtilization: number } } }>;
  };
}

/** The port every process listens on inside its container (the injected Dockerfiles EXPOSE it too). */
export const APP_PORT = 5000;

/**
 * Resource requests and limits of app processes: the plan's memory per process when the release has one, else
 * PAAS_APP_MEMORY_MB (512 by default), as the limit; half of it requested.
 */
export function processResources(s: Pick<Config, 'appLimits'>, memoryMb?: number): { requests: Record<string, string>; limits: Record<string, string> } {
  const mb = memoryMb ?? s.appLimits.memoryMb;
  return { requests: { cpu: '100m', memory: `${Math.ceil(mb / 2)}Mi` }, limits: { memory: `${mb}Mi` } };
}

/**
 * Security boundary: what every app pod runs with. The image must declare a numeric non-root USER (the injected
 * Dockerfiles do: 1000 or 10001); one that runs as root is refused by the kubelet at start
 * (CreateContainerConfigError), and the rollout reports it. RuntimeDefault seccomp exists since Kubernetes 1.19.
 */
export function appPodSecurity(): NonNullable<IPodSpec['securityContext']> {
  return { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Every app container: no privilege escalation (setuid binaries), no capabilities at all. */
export function appContainerSecurity(): NonNullable<IContainer['securityContext']> {
  return { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } };
}

/** How long a Deployment may go without progress before Kubernetes reports ProgressDeadlineExceeded. */
export const PROGRESS_DEADLINE_SECONDS = 300;

/** Old ReplicaSets kept; rollbacks re-apply an earlier release instead, so a few are enough. */
export const REVISION_HISTORY_LIMIT = 5;

/** A release with what only the Kubernetes runtime needs filled in. */
export interface KubeRelease extends ReleaseSpec { image: string; config: Record<string, string> }

/** The image a release runs: its digest in Kubernetes mode, else `<registry>/apps/<app>:<build>` (what a build would push). */
export function toKubeRelease(spec: ReleaseSpec, registry: string, buildNumber: number): KubeRelease {
  return { ...spec, image: spec.image ?? `${appRepository(registry, spec.app)}:${buildNumber}`, config: spec.config ?? spec.env };
}

/** The app's namespace object. */
export function toNamespace(s: ManifestSettings, app: string): INamespace {
  const labels = { ...appLabels(app), [labelKeys.tenant]: 'app' };
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: appNamespace(s.namespacePrefix, app), labels } };
}

function metadata(s: ManifestSettings, r: KubeRelease, name: string, component?: string): { name: string; namespace: string; labels: Record<string, string> } {
  const labels = { ...appLabels(r.app), [labelKeys.version]: `v${r.version}`, ...(component ? { [labelKeys.component]: component } : {}) };
  return { name, namespace: appNamespace(s.namespacePrefix, r.app), labels };
}

function base64(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
}

/** The values the platform sets: every entry of env that is not a config var as the user set it, plus PORT. */
export function platformValues(r: KubeRelease): Record<string, string> {
  const own = Object.entries(r.env).filter(([k, v]) => r.config[k] !== v);
  return Object.fromEntries([...own, ['PORT', String(APP_PORT)]].sort(([a], [b]) => a!.localeCompare(b!)));
}

/** The Secret holding the app's config vars (pods read them with envFrom). */
export function toConfigSecret(s: ManifestSettings, r: KubeRelease): ISecret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: metadata(s, r, objectNames.configSecret, 'config'), type: 'Opaque', data: base64(r.config) };
}

/** The ConfigMap of platform values (APP_NAME, RELEASE_VERSION, PAAS_APP_URL, PORT); it wins over config vars, as locally. */
export function toPlatformConfigMap(s: ManifestSettings, r: KubeRelease): IConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: metadata(s, r, objectNames.platformConfigMap, 'config'), data: platformValues(r) };
}

/** A hash of everything the pods read from the Secret and the ConfigMap: it annotates the pod template, so a config change rolls the pods. */
export function configHash(r: KubeRelease): string {
  const text = JSON.stringify([Object.entries(r.config).sort(), Object.entries(platformValues(r)).sort()]);
  return crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The environment sources of every app container: config vars first, so the platform's values win. */
export const envFrom = [{ secretRef: { name: objectNames.configSecret } }, { configMapRef: { name: objectNames.platformConfigMap } }];

/** The pod settings all app pods share (processes and the release phase). */
export function appPodSpec(s: ManifestSettings, containers: IContainer[]): IPodSpec {
  return {
    containers,
    enableServiceLinks: false, // service env vars would leak other apps' names into config
    automountServiceAccountToken: false, // apps have no business with the Kubernetes API
    terminationGracePeriodSeconds: 30,
    securityContext: appPodSecurity(),
    ...(s.registryPullSecret ? { imagePullSecrets: [{ name: objectNames.pullSecret }] } : {}),
  };
}

type IProbe = NonNullable<IContainer['livenessProbe']>;

/** A probe on the web port: TCP (a connection is accepted), or an app.json check's HTTP GET with its timings. */
function tcpProbe(periodSeconds: number, timeoutSeconds: number, failureThreshold: number): IProbe {
  return { tcpSocket: { port: 'http' }, periodSeconds, timeoutSeconds, failureThreshold };
}

/**
 * An HTTP GET of the check's path on the web port. `scheme` is given although it is the default: a field the server
 * defaults belongs to no field manager, so when a later release switches this probe to TCP, server-side apply would
 * leave `httpGet: {scheme: HTTP}` behind and the server refuses two handlers (seen on Kubernetes 1.20).
 */
function httpGet(path: string): NonNullable<IProbe['httpGet']> {
  return { path, port: 'http', scheme: 'HTTP' };
}

function httpProbe(check: StartupCheck): IProbe {
  return {
    httpGet: httpGet(check.path), initialDelaySeconds: Math.round(check.initialDelaySeconds),
    periodSeconds: Math.max(1, Math.round(check.waitSeconds)), timeoutSeconds: Math.max(1, Math.ceil(check.timeoutSeconds)), failureThreshold: check.attempts,
  };
}

/**
 * The default liveness probe: TCP on the web port every 10 s, restarting the container only after 6 misses in a row
 * (a minute in which nothing accepts a connection), and only once the startup probe has passed: a slow but
 * answering app is never killed; a wedged one is.
 */
export const defaultLiveness = (): IProbe => tcpProbe(10, 5, 6);

/** The default startup probe: the web port accepts a connection, tried every 2 s for up to PROGRESS_DEADLINE_SECONDS. */
export const defaultStartup = (): IProbe => tcpProbe(2, 1, PROGRESS_DEADLINE_SECONDS / 2);

/**
 * web's probes, from app.json's `healthchecks.web` (Dokku's format) with defaults:
 * - startup: the first startup check's path (HTTP GET), else TCP on the web port; readiness and liveness start after it;
 * - readiness: a readiness check, else the startup check's path every 2 s, else TCP every 2 s;
 * - liveness: a liveness check, else defaultLiveness().
 * The kubelet cannot match `content`: a check's expected content is not checked here.
 */
function webProbes(r: KubeRelease): Pick<IContainer, 'readinessProbe' | 'startupProbe' | 'livenessProbe'> {
  const startup = r.healthchecks?.[0];
  const readiness = r.probes?.find((c) => c.type === 'readiness');
  const liveness = r.probes?.find((c) => c.type === 'liveness');
  const startupReadiness = startup && { httpGet: httpGet(startup.path), periodSeconds: 2, timeoutSeconds: Math.max(1, Math.ceil(startup.timeoutSeconds)), failureThreshold: 3 };
  return {
    startupProbe: startup ? httpProbe(startup) : defaultStartup(),
    readinessProbe: readiness ? httpProbe(readiness) : startupReadiness ?? tcpProbe(2, 1, 3),
    livenessProbe: liveness ? httpProbe(liveness) : defaultLiveness(),
  };
}

function processContainer(s: ManifestSettings, r: KubeRelease, proc: ProcessSpec): IContainer {
  const web = proc.type === 'web';
  return {
    name: processName(proc.type),
    image: r.image,
    // web runs the image's CMD (the injected Dockerfiles bake the Procfile's web command in); others run their line.
    ...(web ? {} : { command: ['/bin/sh', '-c', proc.command] }),
    envFrom,
    env: [{ name: 'DYNO', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    ...(web ? {
      ports: [{ name: 'http', containerPort: APP_PORT, protocol: 'TCP' }],
      ...webProbes(r),
    } : {}),
    resources: processResources(s, r.memoryMb),
    securityContext: appContainerSecurity(),
  };
}

/** The Deployment of one process type: replicas from the formation (none when autoscaled), readiness on the web port, config hash on the template. */
export function toDeployment(s: ManifestSettings, r: KubeRelease, proc: ProcessSpec): IDeployment {
  const selector = processSelector(r.app, proc.type);
  const meta = metadata(s, r, processName(proc.type), processName(proc.type));
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta,
    spec: {
      // An autoscaled type's count is its HorizontalPodAutoscaler's: the apply leaves replicas out (docs/kubernetes.md).
      ...(proc.autoscale ? {} : { replicas: proc.quantity }),
      revisionHistoryLimit: REVISION_HISTORY_LIMIT,
      progressDeadlineSeconds: PROGRESS_DEADLINE_SECONDS,
      selector: { matchLabels: selector },
      // web never drops below its count during a rollout: zero downtime, as in the embedded mode.
      strategy: { type: 'RollingUpdate', rollingUpdate: proc.type === 'web' ? { maxUnavailable: 0, maxSurge: '25%' } : { maxUnavailable: '25%', maxSurge: '25%' } },
      template: {
        metadata: {
          labels: { ...meta.labels, ...selector, [labelKeys.release]: String(r.version) },
          annotations: { [annotationKeys.configHash]: configHash(r), [annotationKeys.processType]: proc.type },
        },
        spec: appPodSpec(s, [processContainer(s, r, proc)]),
      },
    },
  };
}

/** The HorizontalPodAutoscaler of an autoscaled type: named as its Deployment, which it targets, CPU utilization as the metric. */
export function toAutoscaler(s: ManifestSettings, r: KubeRelease, proc: ProcessSpec & { autoscale: NonNullable<ProcessSpec['autoscale']> }, apiVersion: HpaApiVersion): HorizontalPodAutoscaler {
  const name = processName(proc.type);
  return {
    apiVersion, kind: 'HorizontalPodAutoscaler', metadata: metadata(s, r, name, name),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: proc.autoscale.min, maxReplicas: proc.autoscale.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: proc.autoscale.cpu } } }],
    },
  };
}

/** The release's autoscaled types. */
export function autoscaledProcesses(r: ReleaseSpec): Array<ProcessSpec & { autoscale: NonNullable<ProcessSpec['autoscale']> }> {
  return r.processes.filter((p): p is ProcessSpec & { autoscale: NonNullable<ProcessSpec['autoscale']> } => p.autoscale !== undefined);
}

/** The hosts web answers on: `<app>.<base domain>` plus the custom domains. */
export function webHosts(s: ManifestSettings, r: ReleaseSpec): string[] {
  return [`${r.app}.${s.baseDomain}`, ...(r.domains ?? [])];
}

/** The ClusterIP Service in front of the web pods. */
export function toService(s: ManifestSettings, r: KubeRelease): IService {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: metadata(s, r, objectNames.service, processName('web')),
    spec: {
      type: 'ClusterIP',
      selector: processSelector(r.app, 'web'),
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
}

/** The Ingress for web's hosts that cert-manager (or nothing) gives TLS; edge-manifests.ts also makes the upload's. */
export function toIngress(s: ManifestSettings, r: KubeRelease): IIngress | undefined {
  return toEdgeObjects(s, r).find((o): o is IIngress => o.kind === 'Ingress' && o.metadata?.name === objectNames.ingress);
}

/**
 * Everything a release applies, in apply order (namespace and config before the Deployments that read them, each
 * autoscaled type's HorizontalPodAutoscaler after its Deployment). `hpaVersion`: the one the cluster serves
 * (discovery.ts); `paas manifests` prints v2.
 */
export function toReleaseObjects(s: ManifestSettings, r: KubeRelease, hpaVersion: HpaApiVersion = HPA_API_VERSIONS[0]): KubeObject[] {
  const hasWeb = r.processes.some((p) => p.type === 'web');
  return [
    toNamespace(s, r.app),
    toConfigSecret(s, r),
    toPlatformConfigMap(s, r),
    ...r.processes.map((p) => toDeployment(s, r, p)),
    ...autoscaledProcesses(r).map((p) => toAutoscaler(s, r, p, hpaVersion)),
    ...(hasWeb ? [toService(s, r), ...toEdgeObjects(s, r)] : []),
  ];
}
