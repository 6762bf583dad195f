// runtime/kubernetes/validate.ts — checks every object before it is applied (and before `paas manifests`
// prints it): the OpenAPI schema through kubernetes-models, plus what the schema cannot see: DNS-1123 names,
// label syntax, selectors that match their templates, ports and probes, and references between the objects. The
// HorizontalPodAutoscaler comes in two API versions (v2, and v2beta2 for 1.20): the schema of the one it names.
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler as HpaV2 } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { HorizontalPodAutoscaler as HpaV2beta2 } from 'kubernetes-models/autoscaling/v2beta2/HorizontalPodAutoscaler';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import type { IPodTemplateSpec } from 'kubernetes-models/v1/PodTemplateSpec';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import type { IService } from 'kubernetes-models/v1/Service';
import { PaasError } from '../../core/errors.ts';
import { HPA_API_VERSIONS, type HorizontalPodAutoscaler, type KubeObject } from './manifests.ts';

const models: Record<string, new (data: never) => { validate(): void }> = {
  Namespace, Secret, ConfigMap, Service, Deployment, Job, Ingress,
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The problems with a DNS-1123 label (63 chars) or subdomain (253 chars), or none. */
export function dnsProblems(what: string, name: string | undefined, kind: 'label' | 'subdomain' | 'dns1035'): string[] {
  if (!name) return [`${what} is missing`];
  const [re, max] = kind === 'label' ? [DNS_LABEL, 63] : kind === 'dns1035' ? [DNS_1035_LABEL, 63] : [DNS_SUBDOMAIN, 253];
  return name.length <= max && re.test(name) ? [] : [`${what} "${name}" is not a DNS-1123 ${kind === 'dns1035' ? 'label starting with a letter (RFC 1035)' : kind}`];
}

function labelProblems(what: string, labels: Record<string, string> | undefined): string[] {
  return Object.entries(labels ?? {}).flatMap(([key, value]) => {
    const slash = key.lastIndexOf('/');
    const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
    const name = slash >= 0 ? key.slice(slash + 1) : key;
    const out: string[] = [];
    if (prefix !== undefined) out.push(...dnsProblems(`${what} key prefix`, prefix, 'subdomain'));
    if (name.length > 63 || !LABEL_NAME.test(name)) out.push(`${what} key "${key}" is not a valid label name`);
    if (value.length > 63 || !LABEL_VALUE.test(value)) out.push(`${what} "${key}" has an invalid value "${value}"`);
    return out;
  });
}

function portProblems(what: string, port: unknown): string[] {
  if (typeof port === 'number') return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [`${what} ${port} is not a port (1-65535)`];
  if (typeof port === 'string') return port.length <= 15 && PORT_NAME.test(port) && /[a-z]/.test(port) ? [] : [`${what} "${port}" is not a valid port name`];
  return [`${what} is missing`];
}

const whole = (n: unknown, min: number, max: number): boolean => typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;

type ContainerLike = NonNullable<IPodTemplateSpec['spec']>['containers'][number];

/** A container's probes: a port it names (or a number), an absolute path for HTTP, timings that are whole and positive. */
function probeProblems(what: string, c: ContainerLike): string[] {
  const named = new Set((c.ports ?? []).map((p) => p.name));
  return (['startupProbe', 'readinessProbe', 'livenessProbe'] as const).flatMap((kind) => {
    const probe = c[kind];
    if (!probe) return [];
    const w = `${what} container ${c.name} ${kind}`;
    const out: string[] = [];
    const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
    if (port === undefined) out.push(`${w} has neither httpGet nor tcpSocket`);
    else if (typeof port === 'string' && !named.has(port)) out.push(`${w} uses port "${port}", which the container does not name`);
    else out.push(...portProblems(`${w} port`, port));
    if (probe.httpGet && !/^\/[\x21-\x7e]*$/.test(probe.httpGet.path ?? '')) out.push(`${w} path is not an absolute path without spaces or control characters`);
    const timings: Array<[keyof typeof probe, number]> = [['periodSeconds', 1], ['timeoutSeconds', 1], ['failureThreshold', 1], ['initialDelaySeconds', 0]];
    for (const [key, min] of timings) {
      if (probe[key] !== undefined && !whole(probe[key], min, 3600)) out.push(`${w} ${key} ${String(probe[key])} is not a whole number from ${min} to 3600`);
    }
    return out;
  });
}

function podTemplateProblems(what: string, template: IPodTemplateSpec | undefined): string[] {
  const spec = template?.spec;
  if (!spec) return [`${what} has no pod spec`];
  const containers = [...(spec.initContainers ?? []), ...spec.containers];
  return [
    ...labelProblems(`${what} template label`, template.metadata?.labels),
    ...containers.flatMap((c) => [
      ...dnsProblems(`${what} container name`, c.name, 'label'),
      ...(c.image ? [] : [`${what} container ${c.name} has no image`]),
      ...probeProblems(what, c),
      ...(c.ports ?? []).flatMap((p) => [
        ...portProblems(`${what} containerPort`, p.containerPort),
        ...(p.name === undefined ? [] : portProblems(`${what} port name`, p.name)),
      ]),
    ]),
  ];
}

function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels?.[k] === v);
}

function deploymentProblems(d: IDeployment): string[] {
  const what = `Deployment ${d.metadata?.name}`;
  const out = podTemplateProblems(what, d.spec?.template);
  if (d.spec?.selector.matchExpressions?.length) out.push(`${what} uses matchExpressions; only matchLabels is expected`);
  if (!selectorMatches(d.spec?.selector.matchLabels, d.spec?.template.metadata?.labels)) out.push(`${what}: selector does not match the template labels`);
  return out;
}

function jobProblems(j: IJob): string[] {
  const what = `Job ${j.metadata?.name}`;
  const out = podTemplateProblems(what, j.spec?.template);
  const policy = j.spec?.template.spec?.restartPolicy;
  if (policy !== 'Never' && policy !== 'OnFailure') out.push(`${what}: restartPolicy must be Never or OnFailure`);
  if ((j.metadata?.name?.length ?? 0) > 63) out.push(`${what}: name longer than 63 characters (it becomes a label value)`);
  return out;
}

function serviceProblems(svc: IService): string[] {
  const what = `Service ${svc.metadata?.name}`;
  return [
    ...dnsProblems(`${what} name`, svc.metadata?.name, 'dns1035'),
    ...labelProblems(`${what} selector`, svc.spec?.selector),
    ...(svc.spec?.ports ?? []).flatMap((p) => [...portProblems(`${what} port`, p.port), ...portProblems(`${what} targetPort`, p.targetPort)]),
  ];
}

function ingressProblems(ing: IIngress): string[] {
  const what = `Ingress ${ing.metadata?.name}`;
  return (ing.spec?.rules ?? []).flatMap((rule) => [
    ...dnsProblems(`${what} host`, rule.host, 'subdomain'),
    ...(rule.http?.paths ?? []).flatMap((p) => (p.backend.service ? dnsProblems(`${what} backend`, p.backend.service.name, 'dns1035') : [`${what} has a backend without a service`])),
  ]);
}

/** A HorizontalPodAutoscaler: a version the controller writes, a Deployment target, 1 <= min <= max, one CPU utilization metric of 1-100 %. */
function autoscalerProblems(h: HorizontalPodAutoscaler): string[] {
  const what = `HorizontalPodAutoscaler ${h.metadata?.name}`;
  const out: string[] = [];
  if (!(HPA_API_VERSIONS as readonly string[]).includes(h.apiVersion)) out.push(`${what}: apiVersion ${h.apiVersion} is not one of ${HPA_API_VERSIONS.join(', ')}`);
  const ref = h.spec?.scaleTargetRef;
  if (ref?.apiVersion !== 'apps/v1' || ref.kind !== 'Deployment') out.push(`${what}: scaleTargetRef must be an apps/v1 Deployment`);
  out.push(...dnsProblems(`${what} scaleTargetRef name`, ref?.name, 'subdomain'));
  const { minReplicas: min, maxReplicas: max } = h.spec ?? {};
  if (!whole(min, 1, 1000) || !whole(max, 1, 1000) || min > max) out.push(`${what}: minReplicas ${min} and maxReplicas ${max} must be whole numbers with 1 <= min <= max`);
  const metrics = h.spec?.metrics ?? [];
  const cpu = metrics[0]?.resource;
  if (metrics.length !== 1 || metrics[0]?.type !== 'Resource' || cpu?.name !== 'cpu' || cpu.target?.type !== 'Utilization' || !whole(cpu.target.averageUtilization, 1, 100)) {
    out.push(`${what}: expected one metric, CPU Utilization from 1 to 100 %`);
  }
  return out;
}

/** The autoscaler's model by its apiVersion (the two spell the same spec; each schema is checked as its own). */
const autoscalerModels: Record<string, new (data: never) => { validate(): void }> = { 'autoscaling/v2': HpaV2, 'autoscaling/v2beta2': HpaV2beta2 };

/** The problems with one object: its schema, then the checks the schema cannot make. */
export function objectProblems(obj: KubeObject): string[] {
  const model = obj.kind === 'HorizontalPodAutoscaler' ? autoscalerModels[obj.apiVersion] : models[obj.kind];
  if (!model) return [`${obj.apiVersion} ${obj.kind} is not a kind the controller writes`];
  const what = `${obj.kind} ${obj.metadata?.name ?? '(unnamed)'}`;
  const out: string[] = [];
  try {
    new model(obj as never).validate();
  } catch (err) {
    out.push(`${what}: ${(err as Error).message}`);
  }
  const meta = (obj as { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }).metadata;
  out.push(...dnsProblems(`${what} name`, meta?.name, obj.kind === 'Namespace' ? 'label' : 'subdomain'));
  if (obj.kind !== 'Namespace') out.push(...dnsProblems(`${what} namespace`, meta?.namespace, 'label'));
  out.push(...labelProblems(`${what} label`, meta?.labels));
  if (obj.kind === 'Deployment') out.push(...deploymentProblems(obj as IDeployment));
  if (obj.kind === 'Job') out.push(...jobProblems(obj as IJob));
  if (obj.kind === 'Service') out.push(...serviceProblems(obj as IService));
  if (obj.kind === 'Ingress') out.push(...ingressProblems(obj as IIngress));
  if (obj.kind === 'HorizontalPodAutoscaler') out.push(...autoscalerProblems(obj as HorizontalPodAutoscaler));
  return out;
}

/** Checks between the objects of one release: Services select pods, Ingresses point at Services that exist. */
export function crossProblems(objs: KubeObject[]): string[] {
  const of = <T>(kind: string) => objs.filter((o) => o.kind === kind) as T[];
  const deployments = of<IDeployment>('Deployment');
  const services = of<IService>('Service');
  const out: string[] = [];
  for (const svc of services) {
    const target = deployments.find((d) => selectorMatches(svc.spec?.selector, d.spec?.template.metadata?.labels));
    if (!target) { out.push(`Service ${svc.metadata?.name} selects no Deployment's pods`); continue; }
    const named = new Set(target.spec?.template.spec?.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)));
    for (const p of svc.spec?.ports ?? []) {
      if (typeof p.targetPort === 'string' && !named.has(p.targetPort)) out.push(`Service ${svc.metadata?.name} targets port "${p.targetPort}", which its pods do not name`);
    }
  }
  for (const hpa of of<HorizontalPodAutoscaler>('HorizontalPodAutoscaler')) {
    const target = deployments.find((d) => d.metadata?.name === hpa.spec?.scaleTargetRef?.name && d.metadata?.namespace === hpa.metadata?.namespace);
    if (!target) out.push(`HorizontalPodAutoscaler ${hpa.metadata?.name} targets a missing Deployment ${hpa.spec?.scaleTargetRef?.name}`);
    // Both would own the count: every apply would reset what the autoscaler chose.
    else if (target.spec?.replicas !== undefined) out.push(`Deployment ${target.metadata?.name} sets replicas although HorizontalPodAutoscaler ${hpa.metadata?.name} scales it`);
  }
  for (const ing of of<IIngress>('Ingress')) {
    for (const backend of (ing.spec?.rules ?? []).flatMap((r) => r.http?.paths ?? []).map((p) => p.backend.service)) {
      if (backend && !services.some((s) => s.metadata?.name === backend.name)) out.push(`Ingress ${ing.metadata?.name} points at a missing Service ${backend.name}`);
    }
  }
  return out;
}

/**
 * Throws unless every object (and the set as a whole) is valid; a failure here is a platform bug, never applied.
 * `whole`: the release the objects belong to, for the checks between objects, when only some of it is applied.
 */
export function assertValid(objs: KubeObject[], whole: KubeObject[] = objs): void {
  const problems = [...objs.flatMap(objectProblems), ...crossProblems(whole)];
  if (problems.length) throw new PaasError('E_INTERNAL', `Refusing to apply invalid Kubernetes objects:\n${problems.join('\n')}`);
}
