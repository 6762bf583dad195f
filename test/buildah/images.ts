// test/buildah/images.ts — the local stand-ins for the official base images the Dockerfiles name (node, python,
// golang, debian slim), made from cached debootstrap rootfs folders, since no image registry is reachable here.
// The recipes (rootfs and edits) are shared with the Docker Engine's test images (test/support/docker.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { Buildah } from './buildah.ts';
import { cachedRootfs, run, type RootfsSpec } from './rootfs.ts';

/** Local image names, used through --build-arg BASE_IMAGE / RUNTIME_IMAGE (and --from for an app's own Dockerfile). */
export const testImages = {
  /** debian:bookworm-slim's stand-in. */
  base: 'localhost/paas-test-base',
  /** node:20-alpine / node:20-slim's stand-in: the base plus this machine's node and npm, and a `node` user (1000). */
  node: 'localhost/paas-test-node',
  /** python:3.12-slim's stand-in: Debian's python3 with venv, and `python`. */
  python: 'localhost/paas-test-python',
  /** golang:1.22's stand-in: Debian's Go toolchain (golang-go). */
  go: 'localhost/paas-test-go',
} as const;

export type TestImage = keyof typeof testImages;

const rootfsSpecs = {
  base: { name: 'base', include: ['ca-certificates'] },
  python: { name: 'python', include: ['ca-certificates', 'python3-venv', 'python-is-python3'] },
  go: { name: 'go', include: ['ca-certificates', 'golang-go'] },
} as const satisfies Record<Exclude<TestImage, 'node'>, RootfsSpec>;

/**
 * This machine reaches registries only through a TLS-intercepting proxy whose CA is in the host's bundle (npm's
 * `cafile` points at it); the images get that bundle so npm inside a build reaches the npm registry as npm here does.
 */
function trustHostCAs(root: string): void {
  const bundle = '/etc/ssl/certs/ca-certificates.crt';
  if (fs.existsSync(bundle)) fs.copyFileSync(bundle, path.join(root, 'etc/ssl/certs/ca-certificates.crt'));
}

/**
 * Adds the `app` user (10001) the injected Dockerfiles' USER names for Python, Go and Procfile apps
 * (builders/dockerfiles.ts appUser), so tools that look the user up (HOME, whoami) find it.
 */
function addAppUser(root: string): void {
  fs.appendFileSync(path.join(root, 'etc/passwd'), 'app:x:10001:10001::/home/app:/bin/sh\n');
  fs.appendFileSync(path.join(root, 'etc/group'), 'app:x:10001:\n');
  fs.mkdirSync(path.join(root, 'home/app'), { recursive: true });
  fs.chownSync(path.join(root, 'home/app'), 10001, 10001);
}

/** The edits every image gets on top of its rootfs. */
function customizeRoot(root: string): void {
  trustHostCAs(root);
  addAppUser(root);
}

/** Adds this machine's node and npm (the binary needs only glibc and libstdc++, both in minbase) and a `node` user. */
function addNode(root: string): void {
  const npmDir = path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm');
  fs.copyFileSync(process.execPath, path.join(root, 'usr/local/bin/node'));
  fs.chmodSync(path.join(root, 'usr/local/bin/node'), 0o755);
  fs.cpSync(npmDir, path.join(root, 'usr/local/lib/node_modules/npm'), { recursive: true, verbatimSymlinks: true });
  fs.symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', path.join(root, 'usr/local/bin/npm'));
  fs.symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', path.join(root, 'usr/local/bin/npx'));
  // npm (unlike curl) does not read the system bundle by itself; this machine's npm is told to, and so is the image's.
  fs.mkdirSync(path.join(root, 'usr/local/etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'usr/local/etc/npmrc'), 'cafile=/etc/ssl/certs/ca-certificates.crt\n');
  fs.appendFileSync(path.join(root, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/bash\n');
  fs.appendFileSync(path.join(root, 'etc/group'), 'node:x:1000:\n');
  fs.mkdirSync(path.join(root, 'home/node'), { recursive: true });
  fs.chownSync(path.join(root, 'home/node'), 1000, 1000);
}

/**
 * Fills `into` (an empty dir) with the root of test image `name`: a copy of its cached rootfs plus the edits
 * (the node image is the base plus node). Used for images that cannot derive from another (docker import).
 */
export async function prepareImageRoot(name: TestImage, into: string): Promise<void> {
  const rootfs = await cachedRootfs(rootfsSpecs[name === 'node' ? 'base' : name]);
  await run(['cp', '-a', `${rootfs}/.`, into]);
  customizeRoot(into);
  if (name === 'node') addNode(into);
}

/** Makes the named test images (and the base, which node derives from) in buildah's storage. */
export async function makeTestImages(buildah: Buildah, names: readonly TestImage[]): Promise<void> {
  const wanted = new Set<TestImage>(names);
  if (wanted.has('node')) wanted.add('base');
  for (const name of ['base', 'python', 'go'] as const) {
    if (wanted.has(name)) await buildah.importRootfs(await cachedRootfs(rootfsSpecs[name]), testImages[name], customizeRoot);
  }
  if (wanted.has('node')) await buildah.derive(testImages.base, testImages.node, addNode);
}
