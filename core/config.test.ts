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

test('HTTPS settings: ACME needs an email, the TLS port and an https directory; PAAS_DOMAIN is one host name', () => {
  const off = loadConfig({});
  assert.equal(off.acme, undefined);
  assert.equal(off.routerTlsPort, undefined);
  assert.equal(off.endpoints.routerTlsPort, undefined);
  const on = loadConfig({ PAAS_ROUTER_TLS_PORT: '0', PAAS_ACME_EMAIL: 'ops@example.com', PAAS_DOMAIN: 'PaaS.Example.com.' });
  assert.deepEqual({ ...on.acme }, { email: 'ops@example.com', directory: 'https://acme-v02.api.letsencrypt.org/directory', caFile: undefined, renewDays: 30, ordersPerHour: 30 });
  assert.equal(on.routerTlsPort, 0);
  assert.equal(on.platformDomain, 'paas.example.com');
  assert.ok(on.dashboardHosts.includes('paas.example.com'), 'no app may claim the platform host');
  on.endpoints.bind('routerTls', 41443);
  assert.equal(on.endpoints.routerTlsPort, 41443);
  assert.throws(() => loadConfig({ PAAS_ACME_EMAIL: 'ops@example.com' }), /PAAS_ACME_EMAIL needs PAAS_ROUTER_TLS_PORT/);
  assert.throws(() => loadConfig({ PAAS_ROUTER_TLS_PORT: '443', PAAS_ACME_EMAIL: 'not an email' }), /must be an email address/);
  assert.throws(() => loadConfig({ PAAS_ROUTER_TLS_PORT: '443', PAAS_ACME_EMAIL: 'a@b.co', PAAS_ACME_DIRECTORY: 'http://acme.test/dir' }), /https:\/\/ URL/);
  assert.throws(() => loadConfig({ PAAS_ROUTER_TLS_PORT: '443', PAAS_ACME_EMAIL: 'a@b.co', PAAS_RUNTIME: 'kubernetes' }), /PAAS_TLS_ISSUER/);
  for (const bad of ['https://paas.example.com', 'paas.example.com:8443', 'paas.example.com/x', 'localhost', 'a b.com']) {
    assert.throws(() => loadConfig({ PAAS_DOMAIN: bad }), /PAAS_DOMAIN must be a host name/, bad);
  }
  assert.throws(() => loadConfig({ PAAS_ROUTER_TLS_PORT: '70000' }), /PAAS_ROUTER_TLS_PORT must be a port number/);
  // Under the base domain, only a reserved name: deploy.apps.example.com is where an app "deploy" is served.
  assert.throws(() => loadConfig({ PAAS_BASE_DOMAIN: 'apps.example.com', PAAS_DOMAIN: 'deploy.apps.example.com' }), /an app named "deploy" would be served/);
  assert.equal(loadConfig({ PAAS_BASE_DOMAIN: 'apps.example.com', PAAS_DOMAIN: 'paas.apps.example.com' }).platformDomain, 'paas.apps.example.com');
});

test('PAAS_METRICS_SAMPLE_MS is at most 10000: a longer interval would leave 10 s buckets empty and the next double', () => {
  assert.throws(() => loadConfig({ PAAS_METRICS_SAMPLE_MS: '10001' }), /PAAS_METRICS_SAMPLE_MS must be at most 10000, got "10001"/);
  assert.throws(() => loadConfig({ PAAS_METRICS_SAMPLE_MS: '99' }), /PAAS_METRICS_SAMPLE_MS must be a whole number >= 100/);
  assert.equal(loadConfig({ PAAS_METRICS_SAMPLE_MS: '10000' }).metrics.sampleIntervalMs, 10_000);
});

test('a malformed OTLP endpoint stops the boot with a message naming the variable', () => {
  assert.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' }), /^Error: OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ or https:\/\/ URL .*got "localhost:4318"$/);
  assert.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }), /^Error: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http:\/\/ or https:\/\/ URL/);
  assert.equal(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.endpoint, 'http://collector:4318/v1/traces');
});

test('OTLP headers: URL-encoded values are decoded; a malformed escape stops the boot naming its variable', () => {
  assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b, x=1' }).tracing.headers, { 'api-key': 'a b', x: '1' });
  assert.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=ab%zz' }), /^Error: OTEL_EXPORTER_OTLP_HEADERS must be k=v,k2=v2 with URL-encoded values, got "api-key=ab%zz"$/);
  assert.throws(() => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'k=%' }), /^Error: OTEL_EXPORTER_OTLP_TRACES_HEADERS must be/);
});

test('PAAS_REGISTRY_MIRROR is one registry, host[:port][/path]; anything else stops the boot naming the variable', () => {
  assert.equal(loadConfig({}).registryMirror, undefined);
  assert.equal(loadConfig({ PAAS_REGISTRY_MIRROR: '  ' }).registryMirror, undefined);
  for (const good of ['mirror.example.com', '172.17.0.1:5001', 'localhost:5000', 'mirror.example.com/docker-hub', 'Mirror-1.example.com:443/a/b_c']) {
    assert.equal(loadConfig({ PAAS_REGISTRY_MIRROR: good }).registryMirror, good);
  }
  const hostile = [
    'https://mirror.example.com', 'mirror.example.com:0', 'mirror.example.com:70000', 'mirror.example.com:', 'mirror.example.com/',
    'mirror.example.com --insecure-pull', '--registry-mirror=evil.example.com', 'mirror.example.com\n--insecure', 'a,b.example.com',
    '-mirror.example.com', 'mirror..example.com', 'user@mirror.example.com', 'mirror.example.com/../x', 'm.example.com/A', `${'a'.repeat(250)}.example.com`,
  ];
  for (const bad of hostile) {
    assert.throws(() => loadConfig({ PAAS_REGISTRY_MIRROR: bad }), /^Error: PAAS_REGISTRY_MIRROR must be a registry as host\[:port\]\[\/path\] \(no scheme\)/, bad);
  }
  assert.throws(() => loadConfig({ PAAS_REGISTRY_MIRROR: 'a b\nc' }), /got "a b\\nc"$/, 'control characters are shown escaped');
});
