// core/config.test.ts — the config is read once and never changed after boot; the ports listeners bind (0 asks
// for a free one) are recorded once in its Endpoints, which app URLs and git remotes read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';
import { appUrl } from '../services/release-spec.ts';

test('the config is frozen: changing it after boot throws', () => {
  const config = loadConfig({ PAAS_ROUTER_PORT: '0', PAAS_DB_SCHEMA: 'p_1', PATH: '/opt/bin' });
  assert.equal(config.dbSchema, 'p_1');
  assert.deepEqual(config.hostEnv, { PATH: '/opt/bin', HOME: '/' });
  assert.throws(() => { (config as { routerPort: number }).routerPort = 41000; }, TypeError);
  assert.throws(() => { (config.hostEnv as { PATH: string }).PATH = '/tmp'; }, TypeError);
  assert.equal(loadConfig({}).dbSchema, 'public');
});

test('a bound port is recorded once and shows in app URLs; until then the asked one does', () => {
  const config = loadConfig({ PAAS_ROUTER_PORT: '0', PAAS_SSH_PORT: '2200' });
  assert.equal(config.endpoints.routerPort, 0);
  config.endpoints.bind('router', 41234);
  assert.equal(appUrl(config, 'shop'), 'http://shop.localhost:41234/');
  assert.equal(config.routerPort, 0, 'the config keeps what was asked');
  assert.equal(config.endpoints.sshPort, 2200);
  assert.throws(() => config.endpoints.bind('router', 41235), /already recorded/);
});
