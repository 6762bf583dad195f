// test/chart/chart-objects.ts — renders charts/paas (render-chart.ts), parses every document and validates each
// object with kubernetes-models; shared by the chart tests.
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Namespace, PersistentVolumeClaim, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { renderChart } from './render-chart.ts';

export type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [k: string]: any };

/**
 * kubernetes-models has no Prometheus Operator types: the ServiceMonitor's fields the operator requires are checked
 * here (monitoring.coreos.com/v1: a selector, endpoints with a port name, a path, and a Secret reference for auth).
 */
class ServiceMonitor {
  constructor(private data: Obj) {}
  validate(): void {
    const spec = this.data.spec as { selector?: { matchLabels?: Record<string, string> }; endpoints?: Array<Record<string, any>> };
    if (!spec?.selector?.matchLabels || Object.keys(spec.selector.matchLabels).length === 0) throw new Error('ServiceMonitor without a selector');
    if (!spec.endpoints?.length) throw new Error('ServiceMonitor without endpoints');
    for (const e of spec.endpoints) {
      if (typeof e.port !== 'string' || !e.port) throw new Error('a ServiceMonitor endpoint names its Service port');
      if (typeof e.path !== 'string' || !e.path.startsWith('/')) throw new Error('a ServiceMonitor endpoint path starts with /');
      const cred = e.authorization?.credentials;
      if (e.authorization && (typeof cred?.name !== 'string' || !cred.name || typeof cred.key !== 'string' || !cred.key)) throw new Error('authorization.credentials is a Secret key reference');
    }
  }
}

export const models: Record<string, new (data: never) => { validate(): void }> = {
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor as unknown as new (data: never) => { validate(): void },
  'apps/v1/Deployment': Deployment, 'v1/ConfigMap': ConfigMap, 'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret, 'v1/Service': Service, 'v1/ServiceAccount': ServiceAccount, 'networking.k8s.io/v1/Ingress': Ingress,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole, 'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'v1/Namespace': Namespace, 'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
};

export const external = { database: { url: 'postgres://paas:pw@db.example.com/paas' }, natsUrl: 'nats://nats.example.com:4222' };

/** Renders, parses every YAML document and validates each object; returns the objects. */
export function objects(overrides: Record<string, unknown> = external, release = { name: 'paas', namespace: 'platform' }): Obj[] {
  const out: Obj[] = [];
  for (const [file, text] of renderChart(overrides, release)) {
    if (!file.endsWith('.yaml')) continue;
    for (const doc of YAML.parseAllDocuments(text)) {
      assert.deepEqual(doc.errors, [], `${file}: ${doc.errors.join('; ')}`);
      const obj = doc.toJS() as Obj | null;
      if (obj === null) continue;
      const Model = models[`${obj.apiVersion}/${obj.kind}`];
      assert.ok(Model, `${file}: no model for ${obj.apiVersion} ${obj.kind}`);
      assert.doesNotThrow(() => new Model(obj as never).validate(), `${file}: ${obj.kind} ${obj.metadata.name} is not valid`);
      out.push(obj);
    }
  }
  return out;
}

export const find = (objs: Obj[], kind: string, name: string): Obj => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `${kind} ${name}`);
  return found;
};

