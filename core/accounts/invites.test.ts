// core/accounts/invites.test.ts — the dashboard's address as invite links and the start banner print it: https on
// PAAS_DOMAIN once the router serves HTTPS, else the web port on the base domain, as before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config.ts';
import { dashboardUrl, setupBanner } from './invites.ts';

test('dashboardUrl is https://PAAS_DOMAIN (with the TLS port unless 443) when the router serves HTTPS, else the web port', () => {
  assert.equal(dashboardUrl(loadConfig({ PAAS_HTTP_PORT: '5000' })), 'http://localhost:5000');
  assert.equal(dashboardUrl(loadConfig({ PAAS_HTTP_PORT: '5000', PAAS_DOMAIN: 'paas.example.com' })), 'http://localhost:5000', 'no TLS port: no https');
  const tls = loadConfig({ PAAS_HTTP_PORT: '5000', PAAS_DOMAIN: 'paas.example.com', PAAS_ROUTER_TLS_PORT: '0' });
  tls.endpoints.bind('routerTls', 8443);
  assert.equal(dashboardUrl(tls), 'https://paas.example.com:8443');
  assert.equal(dashboardUrl(loadConfig({ PAAS_DOMAIN: 'paas.example.com', PAAS_ROUTER_TLS_PORT: '443' })), 'https://paas.example.com');
  assert.match(setupBanner(tls, 'tok'), /open https:\/\/paas\.example\.com:8443\/setup\?token=tok /);
});
