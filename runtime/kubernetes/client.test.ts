// runtime/kubernetes/client.test.ts — how the API server's refusals read in a push: its own message, and for a 403
// (RBAC refused the platform's ServiceAccount) where the operator grants the missing right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException } from '@kubernetes/client-node';
import { FORBIDDEN_HINT, kubeError } from './client.ts';

const status = (code: number, message: string) => new ApiException(code, 'refused', JSON.stringify({ kind: 'Status', status: 'Failure', message, code }), {});

test('a 403 names what RBAC refused and points at the chart\'s ClusterRole; other refusals carry the server\'s message only', () => {
  const forbidden = 'deployments.apps "web" is forbidden: User "system:serviceaccount:paas:paas-controller" cannot patch resource "deployments" in API group "apps" in the namespace "paas-app-shop"';
  const err = kubeError('apply Deployment paas-app-shop/web', status(403, forbidden));
  assert.equal(err.message, `Kubernetes refused to apply Deployment paas-app-shop/web: ${forbidden}; ${FORBIDDEN_HINT}`);
  assert.match(err.message, /grant the platform's ServiceAccount this right in the chart's ClusterRole/);
  const invalid = kubeError('apply Service paas-app-shop/web', status(422, 'Service "web" is invalid: spec.ports[0].port: Invalid value: 70000'));
  assert.equal(invalid.message, 'Kubernetes refused to apply Service paas-app-shop/web: Service "web" is invalid: spec.ports[0].port: Invalid value: 70000');
});
