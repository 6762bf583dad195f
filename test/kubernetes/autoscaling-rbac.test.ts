// test/kubernetes/autoscaling-rbac.test.ts — a controller whose ClusterRole predates ps:autoscale (no
// horizontalpodautoscalers rights) on the real test cluster: deploys of an app that never autoscaled ask nothing of the
// autoscaling API and succeed; a deploy whose previous release autoscaled a type it drops looks for the autoscaler,
// meets a 403, takes it as none with a warning, and succeeds. The controller is the test's own user, impersonated
// by the admin kubeconfig and bound to the chart's rules minus autoscaling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import pino from 'pino';
import { connectKube, isNotFound } from '../../runtime/kubernetes/client.ts';
import { KubernetesRuntime } from '../../runtime/kubernetes/kubernetes-runtime.ts';
import type { ProcessSpec, ReleaseSpec } from '../../runtime/types.ts';
import { appImage } from '../support/kube-images.ts';
import { eventually } from '../support/cluster.ts';
import { startKubeWorld } from '../support/kubernetes.ts';

/** charts/paas/templates/rbac.yaml's controller rules without the autoscaling one (a ClusterRole from before ps:autoscale). */
const olderRules = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['services', 'secrets', 'configmaps'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['pods/log'], verbs: ['get'] },
];

test('a controller without autoscaling rights deploys apps that never autoscaled, and a 403 listing autoscalers is taken as none', async (t) => {
  const { cluster: c, config, prefix, appNamespace } = await startKubeWorld(t, { PAAS_BOOT_TIMEOUT_MS: '60000' });
  const image = await appImage('web');
  const ns = appNamespace('shop');

  // The older controller: a user of this test's own, bound to the rules above; the admin kubeconfig impersonates it.
  const user = `${prefix}older-controller`;
  const rbac = c.kube.kc.makeApiClient(RbacAuthorizationV1Api);
  await rbac.createClusterRole({ body: { metadata: { name: user }, rules: olderRules } });
  t.after(() => rbac.deleteClusterRole({ name: user }).catch((err: unknown) => { if (!isNotFound(err)) throw err; }));
  await rbac.createClusterRoleBinding({ body: {
    metadata: { name: user }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: user },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
  } });
  t.after(() => rbac.deleteClusterRoleBinding({ name: user }).catch((err: unknown) => { if (!isNotFound(err)) throw err; }));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: c.kube.kc.clusters, contexts: c.kube.kc.contexts, currentContext: c.kube.kc.currentContext,
    users: c.kube.kc.users.map((u) => ({ ...u, impersonateUser: user })),
  });
  const older = connectKube(kc);
  const logged: Array<{ level: number; msg: string; app?: string }> = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => { logged.push(JSON.parse(line)); } });
  const runtime = new KubernetesRuntime(older, config, log);
  const admin = new KubernetesRuntime(c.kube, config);
  // RBAC takes effect in the API server's cache: wait until the user may create Deployments, and may not list autoscalers.
  await eventually('the binding in effect', async () => {
    await older.apps.listNamespacedDeployment({ namespace: 'default', limit: 1 });
    return true;
  }, 10_000);
  await assert.rejects(older.objects.list('autoscaling/v2beta2', 'HorizontalPodAutoscaler', 'default'), (err: unknown) => (err as { code?: number }).code === 403, 'the older controller may not list autoscalers');

  const spec = (version: number, processes: ProcessSpec[]): ReleaseSpec => ({ app: 'shop', version, slugDir: '', pathPrepend: [], env: {}, config: {}, image, processes });
  const worker = (autoscale?: ProcessSpec['autoscale']): ProcessSpec => ({ type: 'worker', command: 'sleep 3600', quantity: 1, ...(autoscale ? { autoscale } : {}) });
  const clock: ProcessSpec = { type: 'clock', command: 'sleep 3600', quantity: 1 };

  // Never autoscaled: two releases deploy (the second with a previous release), nothing asked of autoscaling.
  const v1 = spec(1, [worker()]);
  await runtime.deploy(v1, () => undefined);
  const v2 = spec(2, [worker(), clock]);
  await runtime.deploy(v2, () => undefined, v1);
  assert.equal((await c.kube.apps.readNamespacedDeployment({ name: 'clock', namespace: ns })).spec?.replicas, 1);
  assert.equal(logged.length, 0, `no warning for an app that never autoscaled: ${JSON.stringify(logged)}`);

  // worker was autoscaled (by a controller that could), and v3 drops it: the older controller looks for its
  // autoscaler, is refused, takes it as none with a warning, and the deploy goes through.
  const v2Autoscaled = spec(2, [worker({ min: 1, max: 2, cpu: 80 }), clock]);
  await admin.autoscale('shop', v2Autoscaled);
  await runtime.deploy(spec(3, [clock]), () => undefined, v2Autoscaled);
  await assert.rejects(c.kube.apps.readNamespacedDeployment({ name: 'worker', namespace: ns }), (err: unknown) => isNotFound(err), 'worker went with v3');
  // Said where it looked: before the apply and when pruning (twice per deploy).
  assert.ok(logged.length >= 1, 'a warning');
  for (const entry of logged) {
    assert.match(entry.msg, /^cannot list HorizontalPodAutoscalers \(RBAC\): taken as none/);
    assert.equal(entry.app, 'shop');
  }
});
