// runtime/kubernetes/reader.test.ts — the Kubernetes RuntimeReader on the real test cluster: an app never deployed
// has no processes and no logs; a deployed one shows its pods as ps rows, its pods' last lines from the kubelet (tail
// end signalled first), then new lines of every pod until aborted. Also: select.ts picks this reader in Kubernetes
// mode from a kubeconfig file, and the local reader otherwise.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex from 'knex';
import { loadConfig } from '../../core/config.ts';
import { eventually } from '../../test/support/cluster.ts';
import { appImage } from '../../test/support/kube-images.ts';
import { askService, kubeSpec, sharedKubeWorld, type KubeWorld } from '../../test/support/kubernetes.ts';
import { LocalReader } from '../local/reader.ts';
import { selectReader } from '../select.ts';
import { KubernetesRuntime } from './kubernetes-runtime.ts';
import { KubernetesReader } from './reader.ts';

let w: KubeWorld;

const world = sharedKubeWorld();

before(async () => {
  w = await world;
  await new KubernetesRuntime(w.kube, w.config).deploy(kubeSpec('shop', 1, { image: await appImage('web'), processes: [{ type: 'web', command: '', quantity: 2 }] }), () => undefined);
});

test('an app never deployed has no processes and no log lines', async () => {
  const reader = new KubernetesReader(w.kube, w.config);
  assert.deepEqual(await reader.status('never'), []);
  const out: string[] = [];
  let tailEnd = false;
  await reader.logs('never', { lines: 10, follow: false, signal: new AbortController().signal, onTailEnd: () => { tailEnd = true; } }, (l) => out.push(l));
  assert.deepEqual(out, []);
  assert.ok(tailEnd);
});

test("ps shows the app's pods; logs prints their last lines, then follows every pod until aborted", async () => {
  const reader = new KubernetesReader(w.kube, w.config);
  const ps = await eventually('2 web up', async () => {
    const rows = await reader.status('shop');
    return rows.map((p) => `${p.type}.${p.index} ${p.state} v${p.version} restarts ${p.restarts}`).join() === 'web.1 up v1 restarts 0,web.2 up v1 restarts 0' ? rows : undefined;
  });
  const pods = (await w.kube.core.listNamespacedPod({ namespace: w.appNamespace('shop') })).items.map((p) => p.metadata!.name!);
  assert.deepEqual(ps.map((p) => p.name).sort(), [...pods].sort());
  const mark = `/tail-${Date.now()}`;
  await askService(w.kube, w.appNamespace('shop'), mark);
  await eventually('the request in the kubelet\'s log', async () => {
    const lines: string[] = [];
    await reader.logs('shop', { lines: 1, follow: false, signal: new AbortController().signal }, (l) => lines.push(l));
    return lines.some((l) => l.endsWith(`: GET ${mark}`)) ? true : undefined;
  }, 20_000);

  const out: string[] = [];
  let tailEnd = -1;
  const abort = new AbortController();
  const following = reader.logs('shop', { lines: 2, follow: true, signal: abort.signal, onTailEnd: () => { tailEnd = out.length; } }, (l) => out.push(l));
  await eventually('the tail', async () => (tailEnd >= 0 ? true : undefined));
  assert.equal(tailEnd, 2, out.join('\n'));
  assert.match(out[1]!, new RegExp(`^\\S+ app\\[web\\.\\w+\\]: GET ${mark}$`), 'the last 2 lines across pods, the newest last');
  assert.match(out[0]!, /^\S+ app\[web\.\w+\]: (listening on 5000|GET \/\S*)$/);
  const next = `/new-${Date.now()}`;
  await askService(w.kube, w.appNamespace('shop'), next);
  await eventually('a new line', async () => (out.some((l) => l.endsWith(`: GET ${next}`)) ? true : undefined), 20_000);
  abort.abort();
  await following;
  const seen = out.length;
  await askService(w.kube, w.appNamespace('shop'), '/after-the-end');
  // What the kubelet would stream after the end is not read: the informer and every stream are closed by then.
  assert.equal(out.length, seen);
});

test('select.ts gives the Kubernetes reader in Kubernetes mode (from KUBECONFIG) and the local reader otherwise', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-select-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const db = knex({ client: 'pg' }); // never connected: neither reader touches the database until asked
  t.after(() => db.destroy());
  const kube = await selectReader(loadConfig({ PAAS_RUNTIME: 'kubernetes', KUBECONFIG: w.kubeconfig, PAAS_NAMESPACE_PREFIX: w.config.namespacePrefix }), db);
  assert.ok(kube instanceof KubernetesReader);
  const rows = await kube.status('shop');
  assert.equal(rows.length, 2, 'it reads the cluster the kubeconfig names');
  assert.ok(await selectReader(loadConfig({ PAAS_DATA_DIR: dir }), db) instanceof LocalReader);
});
