// runtime/docker/with-local.test.ts — local mode with a Docker Engine: slug releases run locally, image releases as
// containers, behind one router, and an app switching side leaves nothing running on the other; Docker mode refuses
// to start when the Engine does not answer.
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Knex } from 'knex';
import type { Bus } from '../../core/bus.ts';
import { loadConfig } from '../../core/config.ts';
import { createLogger } from '../../core/logger.ts';
import { LocalDriver } from '../local/driver.ts';
import { appLogFile } from '../local/log-file.ts';
import { selectDrivers } from '../select.ts';
import { cleanPlatform, docker, makeBusyboxImage, spec, viaRouter, webCommand } from '../../test/support/docker-runtime.ts';
import { makeSlug, makeTempDir, startHarness, toRelease } from '../../test/support/local-runtime.ts';
import { imageRepo, imageTag, platformId } from './names.ts';
import { DockerRuntime } from './runtime.ts';
import { LocalWithDocker } from './with-local.ts';

let base = '';
const cleanups: Array<() => unknown> = [];
before(async () => { base = await makeBusyboxImage((fn) => cleanups.push(fn)); });
after(async () => { for (const fn of cleanups.reverse()) await fn(); });

test('an app switching from a slug release to an image release and back is served by one side at a time', async (t) => {
  const h = await startHarness(t);
  const dataDir = await makeTempDir(t, 'drun-mixed');
  const platform = platformId(dataDir);
  t.after(() => cleanPlatform(platform));
  const dockerSide = new DockerRuntime({ docker, dataDir, router: h.router, limits: { memoryMb: 64, pids: 64, nofile: 256, cpus: 1 }, bootTimeoutMs: 15_000, graceMs: 500 });
  const runtime = new LocalWithDocker(new LocalDriver(h.runtime, h.router, (app) => appLogFile(dataDir, app)), dockerSide);
  const slug = await makeSlug(t);
  await runtime.deploy(toRelease('mix', slug, 1, [{ type: 'web', command: 'node server.js v1', quantity: 1 }]), () => {});
  assert.equal((await viaRouter(h.routerPort, 'mix')).body, 'v1 web.1');

  await docker.getImage(base).tag({ repo: imageRepo(platform, 'mix'), tag: '2' });
  await runtime.deploy(spec('mix', 2, imageTag(platform, 'mix', 2), { web: [webCommand, 1] }), () => {});
  assert.equal((await viaRouter(h.routerPort, 'mix')).body, 'v2\n');
  assert.deepEqual((await runtime.status('mix')).map((s) => `${s.version}:${s.type}.${s.index}`), ['2:web.1'], 'the local process went');

  await runtime.deploy(toRelease('mix', slug, 3, [{ type: 'web', command: 'node server.js v3', quantity: 1 }]), () => {});
  assert.equal((await viaRouter(h.routerPort, 'mix')).body, 'v3 web.1');
  assert.deepEqual((await runtime.status('mix')).map((s) => `${s.version}:${s.type}.${s.index}`), ['3:web.1'], 'the container went');
  await runtime.stop('mix');
});

test('Docker mode refuses to start when the Engine does not answer, naming it', async () => {
  const config = loadConfig({ PAAS_RUNTIME: 'docker', DOCKER_HOST: `unix://${path.join(os.tmpdir(), 'no-such-docker.sock')}`, PAAS_DATA_DIR: os.tmpdir() });
  await assert.rejects(selectDrivers({} as Knex, {} as Bus, config, createLogger('silent')),
    /^Error: PAAS_RUNTIME=docker, but the Docker Engine at unix:\/\/.*no-such-docker\.sock does not answer: /);
});
