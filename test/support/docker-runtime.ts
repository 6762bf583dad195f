// test/support/docker-runtime.ts — a Docker runtime against the real Engine for tests: a tiny busybox image made
// with `docker import` (no registry is reachable), a real Router, and cleanup of every container, image, volume and
// the network of the test's platform in t.after. Used by runtime/docker/*.test.ts.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import Docker from 'dockerode';
import { dockerClient, imageRepo, imageTag, labels, platformId } from '../../runtime/docker/names.ts';
import { removePlatformNetwork } from '../../runtime/docker/network.ts';
import { DockerRuntime, type DockerRuntimeOptions } from '../../runtime/docker/runtime.ts';
import { Router } from '../../runtime/router.ts';
import type { ReleaseSpec } from '../../runtime/types.ts';

export const docker: Docker = dockerClient({ docker: { localDockerfiles: 'auto' } });

const busyboxLinks = ['sh', 'httpd', 'echo', 'cat', 'touch', 'sleep', 'mkdir', 'true', 'false', 'ls', 'id', 'env', 'head', 'tr'];

/** Runs a command (argv); rejects with its stderr when it fails. */
function run(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => { out += c; });
    child.stderr.on('data', (c: Buffer) => { err += c; });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${argv.join(' ')}: ${err}`))));
  });
}

/**
 * A busybox image (sh, httpd, …) as a Dockerfile app would be: WORKDIR /app owned by the non-root USER 1000, which
 * can write there (so a release phase's `touch /app/release.test` works). `after` registers its removal.
 */
export async function makeBusyboxImage(after: (fn: () => unknown) => void): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drun-rootfs-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const root = path.join(dir, 'root');
  for (const sub of ['bin', 'app', 'tmp']) fs.mkdirSync(path.join(root, sub), { recursive: true });
  fs.chmodSync(path.join(root, 'tmp'), 0o1777);
  fs.copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
  fs.chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  for (const name of busyboxLinks) fs.symlinkSync('busybox', path.join(root, 'bin', name));
  fs.writeFileSync(path.join(root, 'app', 'index.html'), 'hello from the image\n');
  // /app belongs to the image's user, as it must in any image whose release phase writes there (docs/docker.md).
  fs.chownSync(path.join(root, 'app'), 1000, 1000);
  fs.chownSync(path.join(root, 'app', 'index.html'), 1000, 1000);
  const tarball = path.join(dir, 'rootfs.tar');
  await run(['tar', '-C', root, '--numeric-owner', '-cf', tarball, '.']);
  const tag = `paas-drun-test/busybox:${crypto.randomBytes(3).toString('hex')}`;
  await run(['docker', 'import', '-c', 'WORKDIR /app', '-c', 'ENV PATH=/bin', '-c', 'USER 1000:1000', tarball, tag]);
  after(() => docker.getImage(tag).remove({ force: true }).catch(() => undefined));
  return tag;
}

/** An image with one file and no /bin/sh (the Engine cannot start a command in it); `after` registers its removal. */
export async function makeShelllessImage(after: (fn: () => unknown) => void): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drun-noshell-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'root'));
  fs.writeFileSync(path.join(dir, 'root', 'README'), 'no shell here\n');
  const tarball = path.join(dir, 'rootfs.tar');
  await run(['tar', '-C', path.join(dir, 'root'), '--numeric-owner', '-cf', tarball, '.']);
  const tag = `paas-drun-test/noshell:${crypto.randomBytes(3).toString('hex')}`;
  await run(['docker', 'import', tarball, tag]);
  after(() => docker.getImage(tag).remove({ force: true }).catch(() => undefined));
  return tag;
}

/** A platform's Docker runtime on a fresh data dir, its router listening; everything of its platform is removed after the test. */
export async function dockerPlatform(t: TestContext, base: string, opts: Partial<DockerRuntimeOptions> & { dataDir?: string } = {}) {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'drun-data-'));
  const router = new Router({ baseDomain: 'localhost' });
  const routerPort = await router.listen(0, '127.0.0.1');
  const runtime = new DockerRuntime({
    docker, dataDir, router, limits: { memoryMb: 64, pids: 64, nofile: 256, cpus: 1 }, bootTimeoutMs: 15_000, graceMs: 1000, ...opts,
  });
  const platform = platformId(dataDir);
  t.after(async () => {
    await runtime.stopAll().catch(() => undefined);
    await cleanPlatform(platform);
    if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });
  /** Tags the base image as build N of the app, as the Docker build driver would. */
  const image = async (app: string, build: number): Promise<string> => {
    const tag = imageTag(platform, app, build);
    await docker.getImage(base).tag({ repo: imageRepo(platform, app), tag: String(build) });
    return tag;
  };
  return { runtime, router, routerPort, dataDir, platform, image };
}

/** Removes every container, image and volume of a platform, and its network (the test's cleanup). */
export async function cleanPlatform(platform: string): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [`${labels.platform}=${platform}`] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const images = await docker.listImages({ filters: { reference: [`paas-${platform}/*`] } });
  for (const i of images) for (const tag of i.RepoTags ?? []) await docker.getImage(tag).remove().catch(() => undefined);
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${labels.platform}=${platform}`] } });
  await Promise.all((Volumes ?? []).map((v) => docker.getVolume(v.Name).remove().catch(() => undefined)));
  await removePlatformNetwork(docker, platform);
}

/** A release spec for the image: process types with commands and quantities. */
export function spec(app: string, version: number, image: string, processes: Record<string, [string, number]>, extra: Partial<ReleaseSpec> = {}): ReleaseSpec {
  return {
    app, version, slugDir: '', pathPrepend: [], image, env: { RELEASE_VERSION: `v${version}`, APP_NAME: app },
    processes: Object.entries(processes).map(([type, [command, quantity]]) => ({ type, command, quantity })), ...extra,
  };
}

/** A web command serving `RELEASE_VERSION` (and the image's index.html) with busybox httpd on $PORT. */
export const webCommand = 'mkdir -p /tmp/www && echo "$RELEASE_VERSION" > /tmp/www/index.html && exec httpd -f -p "$PORT" -h /tmp/www';

/** GET / through the router with the app's Host; resolves with the status and body. */
export function viaRouter(port: number, app: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/', headers: { host: `${app}.localhost` }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}
