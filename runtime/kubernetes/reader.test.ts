// runtime/kubernetes/reader.test.ts — the Kubernetes RuntimeReader against the stand-in API server through the
// real client: an app never deployed has no processes and no logs; a deployed one shows its pods as ps rows, its
// pods' last lines (tail end signalled first), then new lines of old and new pods until aborted. Also: select.ts
// picks this reader in Kubernetes mode from a kubeconfig file, and the local reader otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { loadConfig } from '../../core/config.ts';
import { kubeSpec, startKubeWorld } from '../../test/support/kubernetes.ts';
import { LocalReader } from '../local/reader.ts';
import { selectReader } from '../select.ts';
import { KubernetesRuntime } from './kubernetes-runtime.ts';
import { KubernetesReader } from './reader.ts';

const NS = 'paas-app-shop';

async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('an app never deployed has no processes and no log lines', async (t) => {
  const w = await startKubeWorld(t);
  const reader = new KubernetesReader(w.kube, w.config);
  assert.deepEqual(await reader.status('shop'), []);
  const out: string[] = [];
  let tailEnd = false;
  await reader.logs('shop', { lines: 10, follow: false, signal: new AbortController().signal, onTailEnd: () => { tailEnd = true; } }, (l) => out.push(l));
  assert.deepEqual(out, []);
  assert.ok(tailEnd);
});

test("ps shows the app's pods; logs prints their last lines, then follows old and new pods until aborted", async (t) => {
  const w = await startKubeWorld(t);
  await new KubernetesRuntime(w.kube, w.config).deploy(kubeSpec('shop', 1, { processes: [{ type: 'web', command: 'x', quantity: 2 }] }), () => undefined);
  await w.standIn.sim.settle();
  const reader = new KubernetesReader(w.kube, w.config);
  const ps = await reader.status('shop');
  assert.deepEqual(ps.map((p) => `${p.type}.${p.index} ${p.state} v${p.version} restarts ${p.restarts}`), ['web.1 up v1 restarts 0', 'web.2 up v1 restarts 0']);
  const pods = w.standIn.list('v1', 'Pod', NS).map((p) => p.metadata.name);
  assert.deepEqual(ps.map((p) => p.name).sort(), [...pods].sort());
  for (const [i, pod] of pods.entries()) w.standIn.logs.append(NS, pod, 'web', `booted ${i}`);
  const booted = Date.now();
  while (Date.now() === booted) await new Promise((r) => setImmediate(r)); // the next line's time stamp is later
  w.standIn.logs.append(NS, pods[0]!, 'web', 'GET / 200');

  const out: string[] = [];
  let tailEnd = -1;
  const abort = new AbortController();
  const following = reader.logs('shop', { lines: 2, follow: true, signal: abort.signal, onTailEnd: () => { tailEnd = out.length; } }, (l) => out.push(l));
  await waitUntil(() => tailEnd === 2, 'the tail');
  assert.match(out[0]!, /^\S+ app\[web\.\w+\]: booted [01]$/);
  assert.match(out[1]!, /^\S+ app\[web\.\w+\]: GET \/ 200$/, 'the last 2 lines across pods, oldest first');
  w.standIn.logs.append(NS, pods[1]!, 'web', 'GET /new 201');
  await waitUntil(() => out.length === 3, 'a new line');
  assert.match(out[2]!, /app\[web\.\w+\]: GET \/new 201$/);
  abort.abort();
  await following;
  w.standIn.logs.append(NS, pods[1]!, 'web', 'after the end');
  assert.equal(out.length, 3);
});

test('select.ts gives the Kubernetes reader in Kubernetes mode (from KUBECONFIG) and the local reader otherwise', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-select-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const w = await startKubeWorld(t);
  const kubeconfig = path.join(dir, 'kubeconfig.yaml');
  fs.writeFileSync(kubeconfig, w.standIn.kubeconfigYaml(), { mode: 0o600 });
  const db = knex({ client: 'pg' }); // never connected: neither reader touches the database until asked
  t.after(() => db.destroy());
  const kube = await selectReader(loadConfig({ PAAS_RUNTIME: 'kubernetes', KUBECONFIG: kubeconfig }), db);
  assert.ok(kube instanceof KubernetesReader);
  assert.deepEqual(await kube.status('shop'), [], 'it talks to the cluster the kubeconfig names');
  assert.ok(w.standIn.requests.some((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${NS}/pods`), JSON.stringify(w.standIn.requests.map((r) => r.path)));
  assert.ok(await selectReader(loadConfig({ PAAS_DATA_DIR: dir }), db) instanceof LocalReader);
});
