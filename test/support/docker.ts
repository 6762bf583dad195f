// test/support/docker.ts — the Docker Engine for the Docker-mode tests: requireDocker (no Engine is a failure, not a
// skip), the local stand-ins for the base images the injected Dockerfiles name, and a tiny busybox image. No image
// registry is reachable here, so every image is made with `docker import` from folders made on this machine.
//
// WARNING: the stand-ins are made under the OFFICIAL names (`node:20-alpine`, `python:3.12-slim`, `golang:1.22`,
// `debian:bookworm-slim`) in whatever Engine answers (DOCKER_HOST or the local socket), and stay there afterwards. They
// are Debian trees, not the real images: an Engine shared with other work would build those names FROM the stand-in.
// They are made only when the Engine has no image of that name (hasImage: a 404 only; any other answer throws), so a
// real image is never overwritten. Run the Docker tests against a throwaway Engine (docs/docker.md, "The test Engine").
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import Docker from 'dockerode';
import { dockerClient, engineProblem } from '../../runtime/docker/names.ts';
import { prepareImageRoot, type TestImage } from '../buildah/images.ts';
import { run } from '../buildah/rootfs.ts';

/** The base images builders/dockerfiles.ts names, and the test image each stands in with. */
export const dockerBaseImages = {
  'node:20-alpine': 'node',
  'python:3.12-slim': 'python',
  'golang:1.22': 'go',
  'debian:bookworm-slim': 'base',
} as const satisfies Record<string, TestImage>;

export type DockerBaseImage = keyof typeof dockerBaseImages;

/** A tiny image for runtime tests: busybox-static's /bin/busybox with its applets (sh, httpd, nc…) on PATH. */
export const busyboxImage = 'paas-test/busybox:applets';

const defaultPath = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The tests' Engine client: DOCKER_HOST when set, else the local socket (as the platform's own). */
export function testDocker(): Docker {
  return dockerClient({ docker: { host: process.env.DOCKER_HOST || undefined, localDockerfiles: 'auto' } });
}

/**
 * The Engine, or a failure that says how to start one: the Docker-mode tests need it, and a CI run without it must
 * fail rather than skip them silently.
 */
export async function requireDocker(t: { diagnostic(message: string): void }): Promise<Docker> {
  const docker = testDocker();
  const problem = await engineProblem(docker, 5000);
  if (problem) {
    throw new Error(`These tests need a Docker Engine, and none answers (${problem}). .ci/run starts one with scripts/docker-engine.sh up (Debian's docker.io); run that script as root to start it here.`);
  }
  t.diagnostic(`Docker Engine ${(await docker.version()).Version}`);
  return docker;
}

/** True when the Engine has the image (by name or id); false only on the Engine's 404, so nothing real is made over. */
export async function hasImage(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Consumes an Engine progress stream (JSON lines); rejects with the Engine's error when it reports one. */
async function engineProgress(stream: Readable): Promise<void> {
  let text = '';
  for await (const chunk of stream) text += (chunk as Buffer).toString();
  for (const line of text.split('\n').filter((l) => l.trim())) {
    const event = JSON.parse(line) as { error?: string };
    if (event.error) throw new Error(event.error);
  }
}

/** `docker import`s the tree in dir as image `name` (repo:tag), with the given Dockerfile-style changes. */
async function importDir(docker: Docker, dir: string, name: string, changes: string[]): Promise<void> {
  const [repo, tag] = name.split(':') as [string, string];
  const tar = spawn('tar', ['-c', '-C', dir, '--numeric-owner', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const exited = new Promise<number | null>((resolve, reject) => { tar.on('error', reject); tar.on('close', resolve); });
  await engineProgress(await docker.importImage(tar.stdout, { repo, tag, changes }) as Readable);
  const code = await exited;
  if (code !== 0) throw new Error(`tar of ${dir} failed (${code}): ${stderr.trim()}`);
}

/** Runs fill in a fresh temp dir, then removes it. */
async function inTempDir(prefix: string, fill: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  try {
    await fill(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Makes the named base images in the Engine from the cached debootstrap rootfs folders (test/buildah/images.ts),
 * under the official names, skipping (never replacing) those it already has; the first run per machine takes minutes
 * (debootstrap), later ones nothing.
 */
export async function ensureDockerBaseImages(docker: Docker, names: readonly DockerBaseImage[]): Promise<void> {
  for (const name of new Set(names)) {
    if (await hasImage(docker, name)) continue;
    await inTempDir('paas-docker-image-', async (dir) => {
      await prepareImageRoot(dockerBaseImages[name], dir);
      await importDir(docker, dir, name, [`ENV PATH=${defaultPath}`, 'CMD ["/bin/sh"]']);
    });
  }
}

/** Makes busyboxImage in the Engine unless it is there: /bin/busybox (static) and a link per applet. */
export async function ensureBusyboxImage(docker: Docker): Promise<string> {
  if (await hasImage(docker, busyboxImage)) return busyboxImage;
  await inTempDir('paas-docker-busybox-', async (dir) => {
    for (const sub of ['bin', 'etc', 'tmp']) fs.mkdirSync(path.join(dir, sub));
    fs.chmodSync(path.join(dir, 'tmp'), 0o1777);
    fs.copyFileSync('/bin/busybox', path.join(dir, 'bin/busybox'));
    fs.chmodSync(path.join(dir, 'bin/busybox'), 0o755);
    const applets = (await run(['/bin/busybox', '--list'])).split('\n').filter((a) => /^[\w.[-]+$/.test(a) && a !== 'busybox');
    for (const applet of applets) fs.symlinkSync('busybox', path.join(dir, 'bin', applet));
    fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/tmp:/bin/sh\n');
    fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\napp:x:10001:\n');
    await importDir(docker, dir, busyboxImage, ['ENV PATH=/bin', 'CMD ["/bin/sh"]']);
  });
  return busyboxImage;
}

/** Removes the images (by name or id) that a test made; those already gone are fine. */
export async function removeImages(docker: Docker, names: readonly string[]): Promise<void> {
  for (const name of names) {
    try {
      await docker.getImage(name).remove({ force: true });
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  }
}

/** Makes a tar of files as gitd does (a commit, then `git archive`); a `{ symlink }` value is committed as a link. */
export async function gitArchive(dir: string, files: Record<string, string | { symlink: string }>): Promise<string> {
  const src = path.join(dir, 'src');
  fs.mkdirSync(src, { recursive: true });
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(src, name)), { recursive: true });
    if (typeof content === 'string') fs.writeFileSync(path.join(src, name), content);
    else fs.symlinkSync(content.symlink, path.join(src, name));
  }
  const git = (...args: string[]) => run(['git', '-C', src, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'app');
  const archive = path.join(dir, 'src.tar');
  await git('archive', '--format=tar', '-o', archive, 'HEAD');
  return archive;
}

/** Runs cmd in a throwaway container of image and returns its output (a TTY, so one stream); removes the container. */
export async function outputIn(docker: Docker, image: string, cmd: string[]): Promise<string> {
  let out = '';
  const sink = new Writable({ write(chunk: Buffer, _e, done) { out += chunk.toString(); done(); } });
  const [, container] = await docker.run(image, cmd, sink, { Tty: true }) as [unknown, Docker.Container];
  await container.remove({ force: true });
  return out.replace(/\r\n/g, '\n');
}
