// core/git-source-target.test.ts — the SSRF boundary of source fetches: hosts on loopback, private, link-local,
// reserved and metadata addresses are refused (metadata ones even with PAAS_GIT_SOURCES_ALLOW_PRIVATE), by literal
// or by a name that resolves there, and git is pinned to the checked address for each transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';
import { parseRepoUrl } from './git-source.ts';
import { checkSourceHost, pinArgs, type Resolver } from './git-source-target.ts';

const names: Record<string, string[]> = {
  'git.example.test': ['93.184.216.34'], 'rebind.example.test': ['93.184.216.34', '10.0.0.5'], 'meta.example.test': ['169.254.169.254'],
  'v6.example.test': ['2606:4700::1111'], 'lo.example.test': ['::1'],
};
const resolve: Resolver = async (host) => {
  const found = names[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};
const check = (url: string, allowPrivate = false) => checkSourceHost(parseRepoUrl(url), allowPrivate, resolve);
const refused = async (url: string, allowPrivate = false) =>
  assert.rejects(check(url, allowPrivate), (e: { code?: string }) => e.code === 'E_SOURCE_URL_REFUSED', `${url} (allowPrivate=${allowPrivate})`);

test('refused without the operator switch: loopback, private, link-local, CGNAT, mapped and unspecified addresses, by literal or name', async () => {
  for (const url of ['http://127.0.0.1:3000/me/app', 'git://127.0.0.1/app.git', 'ssh://git@[::1]:2222/app.git', 'git@10.1.2.3:me/app.git',
    'https://192.168.1.10/a.git', 'https://172.16.0.1/a.git', 'https://169.254.10.1/a.git', 'https://100.64.0.1/a.git', 'https://[fd00::1]/a.git',
    'https://[fe80::1]/a.git', 'https://[::ffff:127.0.0.1]/a.git', 'https://0.0.0.0/a.git', 'https://2130706433/a.git',
    'https://rebind.example.test/a.git', 'git@lo.example.test:a.git']) await refused(url);
  // With the system's resolver: names of the machine itself, and a numeric host ssh would read as 127.0.0.1.
  for (const url of ['git@localhost:a.git', 'ssh://git@2130706433/a.git', 'http://localhost:5000/a.git']) {
    await assert.rejects(checkSourceHost(parseRepoUrl(url), false), (e: { code?: string }) => e.code === 'E_SOURCE_URL_REFUSED', url);
  }
});

test('metadata addresses are refused even with the switch on; other private hosts then pass', async () => {
  for (const url of ['http://169.254.169.254/latest', 'https://meta.example.test/a.git', 'git@100.100.100.200:a.git', 'https://[fd00:ec2::254]/a.git']) {
    await refused(url, true);
  }
  for (const url of ['http://127.0.0.1:3000/me/app', 'git://127.0.0.1/app.git', 'https://rebind.example.test/a.git', 'git@lo.example.test:a.git']) {
    assert.ok(await check(url, true), url);
  }
});

test('public hosts pass with their first address; a name that does not resolve is no refusal (the fetch checks again)', async () => {
  assert.equal((await check('https://git.example.test/me/app.git'))?.address, '93.184.216.34');
  assert.equal((await check('git@v6.example.test:me/app.git'))?.address, '2606:4700::1111');
  assert.equal(await check('https://nowhere.example.test/a.git'), undefined);
});

test('git is pinned to the checked address: curl resolve list and no redirects, ssh HostName + HostKeyAlias, git:// by address', () => {
  const pin = (url: string, address: string) => pinArgs({ repo: parseRepoUrl(url), address });
  assert.deepEqual(pin('https://git.example.test/me/app.git', '93.184.216.34'), {
    gitConfig: ['-c', 'http.curloptResolve=git.example.test:443:93.184.216.34', '-c', 'http.followRedirects=false'], sshOptions: [], url: 'https://git.example.test/me/app.git',
  });
  assert.deepEqual(pin('http://v6.example.test:8080/a.git', '2606:4700::1111').gitConfig[1], 'http.curloptResolve=v6.example.test:8080:[2606:4700::1111]');
  assert.deepEqual(pin('https://93.184.216.34/a.git', '93.184.216.34').gitConfig, ['-c', 'http.followRedirects=false']);
  assert.deepEqual(pin('git@git.example.test:me/app.git', '93.184.216.34').sshOptions, ['-o', 'HostName=93.184.216.34', '-o', 'HostKeyAlias=git.example.test']);
  assert.deepEqual(pin('ssh://git@git.example.test:2222/app.git', '93.184.216.34').sshOptions, ['-o', 'HostName=93.184.216.34', '-o', 'HostKeyAlias=[git.example.test]:2222']);
  assert.equal(pin('git://git.example.test:9418/app.git', '93.184.216.34').url, 'git://93.184.216.34:9418/app.git');
  assert.equal(pin('git://v6.example.test/app.git', '2606:4700::1111').url, 'git://[2606:4700::1111]/app.git');
});

test('PAAS_GIT_SOURCES_ALLOW_PRIVATE: off by default, true or false, anything else stops the boot', () => {
  assert.equal(loadConfig({ PAAS_DATA_DIR: '/tmp/x' }).gitSources.allowPrivate, false);
  assert.equal(loadConfig({ PAAS_DATA_DIR: '/tmp/x', PAAS_GIT_SOURCES_ALLOW_PRIVATE: 'true' }).gitSources.allowPrivate, true);
  assert.equal(loadConfig({ PAAS_DATA_DIR: '/tmp/x', PAAS_WEBHOOKS_ALLOW_PRIVATE: 'true' }).gitSources.allowPrivate, false, 'a separate switch');
  assert.throws(() => loadConfig({ PAAS_DATA_DIR: '/tmp/x', PAAS_GIT_SOURCES_ALLOW_PRIVATE: 'yes' }), /PAAS_GIT_SOURCES_ALLOW_PRIVATE must be true or false/);
});
