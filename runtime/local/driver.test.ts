// Tests for runtime/local/driver.ts's release phase: the release command runs in the slug with the environment a
// Procfile process of the release gets, its output is relayed indented, and a failure stops the deploy.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPaasError } from '../../core/errors.ts';
import { Router } from '../router.ts';
import { LocalDriver } from './driver.ts';
import { Supervisor } from './supervisor.ts';
import type { ReleaseSpec } from '../types.ts';

function driver(t: TestContext, releaseTimeoutSeconds?: number): { local: LocalDriver; spec: ReleaseSpec } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-release-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const slugDir = path.join(dir, 'slug');
  fs.mkdirSync(path.join(slugDir, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(slugDir, 'bin', 'migrate'), '#!/bin/sh\necho "migrating for $GREETING in $(pwd) as $DYNO, port ${PORT:-none}"\n', { mode: 0o755 });
  const router = new Router({ baseDomain: 'localhost' });
  const supervisor = new Supervisor({ logDir: path.join(dir, 'logs'), router, baseEnv: { PATH: '/usr/bin:/bin', HOME: dir, LANG: 'C.UTF-8' } });
  const spec = { app: 'shop', version: 2, slugDir, env: { GREETING: 'hello' }, pathPrepend: ['bin'], processes: [] };
  return { local: new LocalDriver(supervisor, router, (app) => path.join(dir, 'logs', `${app}.log`), releaseTimeoutSeconds), spec };
}

test('the release command runs in the slug, with its PATH and config and no PORT, output indented', async (t) => {
  const { local, spec } = driver(t);
  const said: string[] = [];
  await local.runRelease(spec, 'migrate', (line) => said.push(line));
  assert.deepEqual(said, [
    '-----> Running release command: migrate',
    `       migrating for hello in ${spec.slugDir} as release.1, port none`,
  ]);
});

test('a failing release command fails with E_RELEASE_BOOT_FAILED after relaying its output', async (t) => {
  const { local, spec } = driver(t);
  const said: string[] = [];
  await assert.rejects(local.runRelease(spec, 'echo no database; exit 3', (line) => said.push(line)), (err) => {
    assert.ok(isPaasError(err, 'E_RELEASE_BOOT_FAILED'), String(err));
    assert.equal(err.message, 'release command failed (exit 3)');
    return true;
  });
  assert.deepEqual(said, ['-----> Running release command: echo no database; exit 3', '       no database']);
});

test("app.json's scripts run as the release phase does, named by their label", async (t) => {
  const { local, spec } = driver(t);
  const said: string[] = [];
  await assert.rejects(local.runRelease(spec, 'echo warming; exit 4', (line) => said.push(line), undefined, 'postdeploy script'),
    (err) => isPaasError(err, 'E_RELEASE_BOOT_FAILED') && err.message === 'postdeploy script failed (exit 4)');
  assert.deepEqual(said, ['-----> Running postdeploy script: echo warming; exit 4', '       warming']);
});

test('a script that never ends is stopped at PAAS_RELEASE_TIMEOUT_SECONDS, its children too, and fails saying so', async (t) => {
  const { local, spec } = driver(t, 0.5);
  const said: string[] = [];
  // The background sleep holds the output pipe: only ending the whole group lets the step finish.
  await assert.rejects(local.runRelease(spec, 'echo started; sleep 600 & sleep 600', (line) => said.push(line), undefined, 'postdeploy script'),
    (err) => isPaasError(err, 'E_RELEASE_BOOT_FAILED') && err.message === 'postdeploy script did not finish within 0.5 s and was stopped (PAAS_RELEASE_TIMEOUT_SECONDS)');
  assert.deepEqual(said, ['-----> Running postdeploy script: echo started; sleep 600 & sleep 600', '       started']);
});
