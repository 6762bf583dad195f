// core/webhook-target.test.ts — the SSRF boundary's address rules and the PAAS_WEBHOOKS_* settings, at their edges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadWebhookConfig, DEFAULT_BACKOFF_SECONDS } from './webhook-config.ts';
import { refusedAddress } from './webhook-target.ts';

test('non-public addresses are refused unless private targets are allowed; metadata and unspecified ones always', () => {
  for (const a of ['8.8.8.8', '93.184.216.34', '2606:4700::1', '::ffff:808:808', '100.63.255.255', '172.32.0.1', '11.0.0.1']) assert.equal(refusedAddress(a, false), undefined, a);
  for (const a of ['127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.0.1', '169.254.1.1', '100.64.0.1',
    '::1', 'fe80::1', 'fc00::1', 'fd12::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:a00:1', '64:ff9b::a00:1', '224.0.0.1', '240.0.0.1']) {
    assert.match(refusedAddress(a, false) ?? '', /not a public address/, a);
    assert.equal(refusedAddress(a, true), undefined, `${a} with private targets allowed`);
  }
  for (const a of ['169.254.169.254', '::ffff:a9fe:a9fe', 'fd00:ec2::254', '100.100.100.200']) assert.match(refusedAddress(a, true) ?? '', /metadata/, a);
  for (const a of ['0.0.0.0', '::', '255.255.255.255']) assert.match(refusedAddress(a, true) ?? '', /not a host address/, a);
  assert.match(refusedAddress('example.com', true) ?? '', /not an IP address/);
});

test('PAAS_WEBHOOKS_*: defaults, an injectable schedule, bad values refused at boot', () => {
  assert.deepEqual(loadWebhookConfig({}), { allowPrivate: false, backoffSeconds: DEFAULT_BACKOFF_SECONDS, timeoutMs: 10_000 });
  assert.deepEqual(loadWebhookConfig({ PAAS_WEBHOOKS_ALLOW_PRIVATE: 'true', PAAS_WEBHOOKS_BACKOFF: '0.1, 2', PAAS_WEBHOOKS_TIMEOUT_MS: '500' }),
    { allowPrivate: true, backoffSeconds: [0.1, 2], timeoutMs: 500 });
  assert.throws(() => loadWebhookConfig({ PAAS_WEBHOOKS_ALLOW_PRIVATE: 'yes' }), /PAAS_WEBHOOKS_ALLOW_PRIVATE must be true or false/);
  assert.throws(() => loadWebhookConfig({ PAAS_WEBHOOKS_BACKOFF: '10,-1' }), /PAAS_WEBHOOKS_BACKOFF must be a positive number/);
  assert.throws(() => loadWebhookConfig({ PAAS_WEBHOOKS_BACKOFF: Array(21).fill('1').join(',') }), /at most 20/);
  assert.equal(loadWebhookConfig({ PAAS_WEBHOOKS_BACKOFF: Array(20).fill('1').join(',') }).backoffSeconds.length, 20);
});
