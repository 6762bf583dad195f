// runtime/kubernetes/client.test.ts — how the API server's refusals read in a push: its own message, and for a 403
// (RBAC refused the platform's ServiceAccount) where the operator grants the missing right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { FORBIDDEN_HINT, kubeError } from './client.ts';

const status = (code: number, message: string, reason?: string) => new ApiException(code, 'refused', JSON.stringify({ kind: 'Status', status: 'Failure', message, reason, code }), {});

test('a 403 names what RBAC refused and points at the chart\'s ClusterRole; other refusals carry the server\'s message only', () => {
  const forbidden = 'deployments.apps "web" is forbidden: User "system:serviceaccount:paas:paas-controller" cannot patch resource "deployments" in API group "apps" in the namespace "paas-app-shop"';
  const err = kubeError('apply Deployment paas-app-shop/web', status(403, forbidden, 'Forbidden'));
  assert.equal(err.message, `Kubernetes refused to apply Deployment paas-app-shop/web: ${forbidden}; ${FORBIDDEN_HINT}`);
  assert.match(err.message, /grant the platform's ServiceAccount this right in the chart's ClusterRole/);
  const invalid = kubeError('apply Service paas-app-shop/web', status(422, 'Service "web" is invalid: spec.ports[0].port: Invalid value: 70000'));
  assert.equal(invalid.message, 'Kubernetes refused to apply Service paas-app-shop/web: Service "web" is invalid: spec.ports[0].port: Invalid value: 70000');
});

test('a 403 that is not RBAC (a ResourceQuota exceeded, a namespace being terminated, an admission refusal) carries no RBAC hint', () => {
  // The API server's own words for each (reason Forbidden as well): granting a right would fix none of them.
  const refusals = [
    'pods "web-7d9f" is forbidden: exceeded quota: compute, requested: requests.cpu=100m, used: requests.cpu=1, limited: requests.cpu=1',
    'deployments.apps "web" is forbidden: unable to create new content in namespace paas-app-shop because it is being terminated',
    'admission webhook "validate.kyverno.svc" denied the request: images must come from the internal registry',
    'pods "web-7d9f" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false',
  ];
  for (const message of refusals) {
    const err = kubeError('apply Deployment paas-app-shop/web', status(403, message, 'Forbidden'));
    assert.equal(err.message, `Kubernetes refused to apply Deployment paas-app-shop/web: ${message}`, message);
  }
  // RBAC's words without its reason (a proxy's 403, say) are not taken for RBAC either.
  const bare = 'User "system:serviceaccount:paas:paas-controller" cannot list resource "horizontalpodautoscalers" in API group "autoscaling"';
  assert.doesNotMatch(kubeError('list HorizontalPodAutoscaler', status(403, bare)).message, /RBAC forbids it/);
});
