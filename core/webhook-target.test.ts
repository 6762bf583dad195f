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

test('credential endpoints are refused even with private targets allowed; Azure wireserver (public) in the default mode too', () => {
  for (const a of ['169.254.170.2', '169.254.170.23', 'fd00:ec2::23', '168.63.129.16', '::ffff:168.63.129.16', '64:ff9b::a83f:8110']) {
    assert.match(refusedAddress(a, true) ?? '', /metadata/, a);
    assert.match(refusedAddress(a, false) ?? '', /metadata|not a public address/, a);
  }
  assert.match(refusedAddress('168.63.129.16', false) ?? '', /cloud metadata/);
  for (const a of ['169.254.170.1', '169.254.170.3', '168.63.129.15', '168.63.129.17', 'fd00:ec2::22']) assert.equal(refusedAddress(a, true), undefined, a);
});

test('IPv6 forms that embed an IPv4 address are judged by it: mapped, compatible, NAT64, 6to4', () => {
  const metadata = ['::ffff:169.254.169.254', '::169.254.169.254', '::a9fe:a9fe', '64:ff9b::169.254.169.254', '64:ff9b::a9fe:a9fe',
    '2002:a9fe:a9fe::1', '64:ff9b:1::a9fe:a9fe', '64:ff9b:1:a9fe:a9:fe00::', '64:ff9b:1:0:a9:fea9:fe00::'];
  for (const a of metadata) assert.match(refusedAddress(a, true) ?? '', /169\.254\.169\.254 \(in .*\) is a cloud metadata address/, a);
  const loopback = ['::127.0.0.1', '::7f00:1', '64:ff9b::7f00:1', '2002:7f00:1::', '64:ff9b:1::7f00:1', '::ffff:a00:1'];
  for (const a of loopback) {
    assert.match(refusedAddress(a, false) ?? '', /not a public address/, a);
    assert.equal(refusedAddress(a, true), undefined, a);
  }
  // Public IPv4 behind NAT64 (an IPv6-only cluster with DNS64) or 6to4 may be dialled.
  for (const a of ['64:ff9b::808:808', '64:ff9b::8.8.8.8', '2002:808:808::1', '::ffff:8.8.8.8']) assert.equal(refusedAddress(a, false), undefined, a);
  assert.match(refusedAddress('64:ff9b:1::808:808', false) ?? '', /not a public address/, 'local-use NAT64: some position is 0.x');
  assert.match(refusedAddress('::', true) ?? '', /not a host address/);
  assert.match(refusedAddress('::1', false) ?? '', /not a public address/);
  assert.match(refusedAddress('::ffff:0:0', true) ?? '', /not a host address/);
});
