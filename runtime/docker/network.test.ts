// runtime/docker/network.test.ts — the platform's network on the real Engine: made once however many ask at once,
// with inter-container traffic off and the platform's label; a duplicated name repaired; removed by cleanup.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { requireDocker } from '../../test/support/docker.ts';
import { labels } from './names.ts';
import { ensurePlatformNetwork, networkName, removePlatformNetwork } from './network.ts';

test('the platform network is made once when many ask at once, without inter-container traffic; a duplicate is repaired', async (t) => {
  const docker = await requireDocker(t);
  const platform = crypto.randomBytes(5).toString('hex');
  const name = networkName(platform);
  t.after(() => removePlatformNetwork(docker, platform));
  const named = async () => (await docker.listNetworks({ filters: { name: [name] } })).filter((n) => n.Name === name);
  assert.deepEqual(new Set(await Promise.all(Array.from({ length: 8 }, () => ensurePlatformNetwork(docker, platform)))), new Set([name]));
  const [made, ...more] = await named();
  assert.equal(more.length, 0);
  assert.equal(made!.Options?.['com.docker.network.bridge.enable_icc'], 'false');
  assert.equal(made!.Labels?.[labels.platform], platform);
  // As a race of two processes could leave it: a second network of the same name (the Engine allows it).
  await docker.createNetwork({ Name: name, Driver: 'bridge' });
  assert.equal((await named()).length, 2);
  await ensurePlatformNetwork(docker, platform);
  assert.deepEqual((await named()).map((n) => n.Id), [made!.Id]);
  await removePlatformNetwork(docker, platform);
  assert.deepEqual(await named(), []);
});
