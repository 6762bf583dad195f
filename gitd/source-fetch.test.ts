// gitd/source-fetch.test.ts — the fetch checks its host again right before it runs: a loopback repository is refused
// with the operator switch off (git never starts); with it on, a name is fetched from the address checked (pinned),
// here a name no DNS knows, resolved by the test to the real `git daemon` on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startGitHost } from '../test/support/git-host.ts';
import { fetchSource, type FetchRequest } from './source-fetch.ts';

const exec = promisify(execFile);

test('loopback refused with the switch off; with it on, a name is fetched from its checked address', async (t) => {
  const host = await startGitHost();
  t.after(() => host.close());
  const rev = await host.createRepo('site', { 'index.html': 'hi' });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-fetch-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const gitDir = path.join(dataDir, 'repo.git');
  await exec('git', ['init', '-q', '--bare', gitDir]);
  const req: FetchRequest = {
    dataDir, app: 'demo', gitDir, url: host.url('site'), branch: 'main', targetRef: 'refs/paas/incoming/1', deployKey: '',
    PATH: process.env.PATH ?? '', maxBytes: 10 * 1024 * 1024, timeoutMs: 30_000, allowPrivate: false,
  };
  await assert.rejects(fetchSource(req), (e: { code?: string; message?: string }) => e.code === 'E_SOURCE_URL_REFUSED' && /127\.0\.0\.1 is not a public address/.test(e.message ?? ''));
  const byName = { ...req, url: host.url('site').replace('127.0.0.1', 'githost.invalid') };
  await assert.rejects(fetchSource({ ...byName, resolve: async () => ['127.0.0.1'] }), (e: { code?: string }) => e.code === 'E_SOURCE_URL_REFUSED');
  await assert.rejects(fetchSource({ ...byName, allowPrivate: true }), /githost\.invalid does not resolve/);
  assert.equal(await fetchSource({ ...byName, allowPrivate: true, resolve: async () => ['127.0.0.1'] }), rev);
});
