// core/hostnames.test.ts — the custom-domain boundary: IP literals in every form a browser or resolver accepts, the
// platform's own hosts and names under them are refused with stable codes; ordinary hostnames pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from './errors.ts';
import { isIpLiteral, parseCustomDomain } from './hostnames.ts';

const platform = { baseDomain: 'apps.example.com', dashboardHosts: ['paas.example.com'] };

test('IP literals in every form are refused as custom domains with E_DOMAIN_IP', () => {
  const ips = [
    '127.0.0.1', '127.0.0.1.', '10.0.0.1', '2130706433', '2130706433.', '0x7f.1', '0x7f000001', '0177.0.0.1', '127.1',
    '0x7F.0.0.1', '1.2.3.4.5', 'a.b.0x1', '::1', '[::1]', '[::1].', '::ffff:127.0.0.1', '[::ffff:7f00:1]', 'fe80::1', ' 127.0.0.1 ',
  ];
  for (const host of ips) {
    assert.ok(isIpLiteral(host), host);
    assert.throws(() => parseCustomDomain(host, platform), (e) => isPaasError(e, 'E_DOMAIN_IP'), JSON.stringify(host));
  }
  assert.throws(() => parseCustomDomain('127.0.0.1', platform), /"127\.0\.0\.1" is an IP address; a custom domain must be a hostname/);
});

test("the platform's own hosts and names under them are refused with E_DOMAIN_RESERVED", () => {
  const own = [
    'apps.example.com', 'APPS.example.com.', 'paas.apps.example.com', 'www.apps.example.com', 'x.y.apps.example.com',
    'paas.example.com', 'paas.example.com.', 'evil.paas.example.com',
  ];
  assert.throws(() => parseCustomDomain('localhost', { baseDomain: 'localhost', dashboardHosts: [] }), (e) => isPaasError(e, 'E_DOMAIN_RESERVED'), 'the apex');
  for (const host of own) {
    assert.throws(() => parseCustomDomain(host, platform), (e) => isPaasError(e, 'E_DOMAIN_RESERVED'), host);
  }
  assert.throws(() => parseCustomDomain('api.apps.example.com', platform), /api\.apps\.example\.com is reserved for the platform/);
  assert.throws(() => parseCustomDomain('paas.example.com', platform), /belongs to the platform \(its dashboard is served at paas\.example\.com\)/);
});

test('ordinary hostnames pass; numbers inside labels are not IPs', () => {
  for (const host of ['www.example.com', 'shop.example.org', '1e100.net', '123.example.com', 'x1.0a.io', 'example.com', 'apps-example.com']) {
    assert.equal(isIpLiteral(host), false, host);
    assert.equal(parseCustomDomain(host, platform), host);
  }
  for (const host of ['not a host', '<b>.apps.example.com', 'a\nb.apps.example.com']) {
    assert.throws(() => parseCustomDomain(host, platform), (e) => isPaasError(e, 'E_DOMAIN_INVALID'), JSON.stringify(host));
  }
});
