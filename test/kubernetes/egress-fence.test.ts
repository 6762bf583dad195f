// test/kubernetes/egress-fence.test.ts — the network rule, enforced on the test cluster: scripts/test-cluster.sh up
// adds a rule (first in DOCKER-USER) that rejects what a pod on docker0 sends anywhere but the bridge's own addresses (so no build,
// app or Kaniko pull started by a test reaches the internet). Checked by asking iptables, never by trying an address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireCluster } from '../support/cluster.ts';

const run = promisify(execFile);

test('the test cluster fences pods in: the first rule of DOCKER-USER (asked before any ACCEPT in FORWARD) rejects traffic from docker0 to anything outside 172.17.0.0/16', async () => {
  requireCluster();
  const rule = ['-C', 'DOCKER-USER', '-i', 'docker0', '!', '-d', '172.17.0.0/16', '-m', 'comment', '--comment', 'paas-test-cluster', '-j', 'REJECT'];
  await run('iptables', rule); // rejects (exit 1) when the rule is missing
  const forward = (await run('iptables', ['-S', 'FORWARD'])).stdout.split('\n').filter((l) => l.startsWith('-A '));
  // kube-proxy puts its own chains above it (they accept only established and Service traffic); Docker's ACCEPTs
  // for docker0 come after it.
  const user0 = forward.indexOf('-A FORWARD -j DOCKER-USER');
  const accept = forward.findIndex((l) => / -j ACCEPT$/.test(l));
  assert.ok(user0 >= 0 && (accept < 0 || user0 < accept), `DOCKER-USER is asked before any ACCEPT:\n${forward.join('\n')}`);
  const user = (await run('iptables', ['-S', 'DOCKER-USER'])).stdout.split('\n').filter((l) => l.startsWith('-A '));
  assert.match(user[0] ?? '', /paas-test-cluster -j REJECT/, `the fence comes before anything else in DOCKER-USER:\n${user.join('\n')}`);
});
