// runtime/docker/local-build.test.ts — local mode's build driver: a Dockerfile app goes to the real Engine when one
// answers, other apps build natively, and without an Engine (or with PAAS_DOCKER=off) the refusal says how to get one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type Docker from 'dockerode';
import { NativeBuildDriver } from '../local/native-build.ts';
import { ensureBusyboxImage, gitArchive, requireDocker } from '../../test/support/docker.ts';
import { DockerBuildDriver } from './build.ts';
import { removeAppImages } from './images.ts';
import { removePlatformNetwork } from './network.ts';
import { LocalBuildDriver } from './local-build.ts';
import { dockerClient, engineProblem, platformId } from './names.ts';

const fixtures = new URL('../../test/fixtures/apps/', import.meta.url).pathname;
const limits = { memoryMb: 512, pids: 128, nofile: 1024, cpus: 1 };

/** A local build driver over a real native driver and a real Docker driver on `docker`. */
async function setup(t: TestContext, docker: Docker, localDockerfiles: 'auto' | 'off', files: Record<string, string>) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-build-test-'));
  t.after(async () => {
    const docker = await requireDocker(t);
    await removeAppImages(docker, platformId(dataDir), 'app1');
    await removePlatformNetwork(docker, platformId(dataDir));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  const driver = new LocalBuildDriver(
    new NativeBuildDriver(),
    new DockerBuildDriver(docker, { dataDir, buildTimeoutMs: 120_000, appLimits: limits }),
    { localDockerfiles, engineProblem: () => engineProblem(docker) },
  );
  const lines: string[] = [];
  const input = { app: 'app1', buildId: 'b1', number: 1, archivePath: await gitArchive(dataDir, files), slugDir: path.join(dataDir, 'apps/app1/slugs/1'), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, log: (l: string) => lines.push(l) };
  return { build: () => driver.build(input), lines, dataDir };
}

const dockerfileApp = (image: string) => ({ Dockerfile: `FROM ${image}\nCMD ["httpd", "-f", "-p", "5000"]\n` });

test('in local mode a Dockerfile app is built by the Docker Engine when one answers', { timeout: 120_000 }, async (t) => {
  const docker = await requireDocker(t);
  const { build, lines } = await setup(t, docker, 'auto', dockerfileApp(await ensureBusyboxImage(docker)));
  const out = await build();
  assert.equal(out.stack, 'dockerfile');
  assert.equal(out.slugDir, null);
  assert.match(out.image ?? '', /^paas-[0-9a-f]{10}\/app1:1$/);
  assert.ok(lines.includes('-----> Building the image with Docker Engine'), lines.join('\n'));
});

test('in local mode other apps still build natively when an Engine answers', { timeout: 120_000 }, async (t) => {
  const docker = await requireDocker(t);
  const files = Object.fromEntries(['package.json', 'server.js'].map((f) => [f, fs.readFileSync(path.join(fixtures, 'node', f), 'utf8')]));
  const { build } = await setup(t, docker, 'auto', files);
  const out = await build();
  assert.equal(out.stack, 'node');
  assert.equal(out.image, null);
  assert.ok(out.slugDir && fs.existsSync(path.join(out.slugDir, 'server.js')));
});

test('with PAAS_DOCKER=off a Dockerfile app is refused in local mode, saying how to enable Docker', { timeout: 60_000 }, async (t) => {
  const docker = await requireDocker(t);
  const { build, lines } = await setup(t, docker, 'off', dockerfileApp('debian:bookworm-slim'));
  await assert.rejects(build(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'E_RUNTIME_UNSUPPORTED');
    assert.match(err.message, /start Docker Engine .*PAAS_RUNTIME=docker/);
    assert.match(err.message, /Here, PAAS_DOCKER=off keeps local mode from using Docker Engine\.$/);
    return true;
  });
  assert.deepEqual(lines, ['-----> Dockerfile app detected']);
});

test('without a Docker Engine a Dockerfile app is refused in local mode, saying why and how to enable Docker', { timeout: 60_000 }, async (t) => {
  const missing = dockerClient({ docker: { host: `unix://${path.join(os.tmpdir(), `no-engine-${process.pid}.sock`)}`, localDockerfiles: 'auto' } });
  const { build } = await setup(t, missing, 'auto', dockerfileApp('debian:bookworm-slim'));
  await assert.rejects(build(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'E_RUNTIME_UNSUPPORTED');
    assert.match(err.message, /start Docker Engine .*PAAS_RUNTIME=docker/);
    assert.match(err.message, /Here, no Docker Engine answers \(.*ENOENT.*\)\.$/);
    return true;
  });
});
