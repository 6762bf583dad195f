// test/buildah/rootfs.ts — minimal Debian root filesystems for the buildah tests, made with debootstrap once and
// cached outside the repo (no image registry is reachable, so the tests make their own base images from these).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface RootfsSpec {
  /** Short name for the cache folder, e.g. 'base'. */
  name: string;
  /** Packages added to debootstrap's minbase. */
  include: readonly string[];
}

const suite = 'bookworm';

/** Where rootfs folders are kept between runs: $PAAS_TEST_ROOTFS_CACHE, else /var/cache as root, else the temp dir. */
export function rootfsCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PAAS_TEST_ROOTFS_CACHE) return env.PAAS_TEST_ROOTFS_CACHE;
  return process.getuid?.() === 0 ? '/var/cache/paas-test-rootfs' : path.join(os.tmpdir(), 'paas-test-rootfs');
}

/** Runs a command (argv, no shell); rejects with the tail of its output when it fails. */
export function run(argv: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); output += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { output += c.toString(); });
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      const tail = output.trimEnd().split('\n').slice(-40).join('\n');
      reject(new Error(`${argv.slice(0, 3).join(' ')} … failed (${code ?? signal}):\n${tail}`));
    });
  });
}

/** Removes what an image never needs (docs, apt's lists and package cache), to keep vfs copies small. */
function trimRootfs(dir: string): void {
  for (const sub of ['usr/share/doc', 'usr/share/man', 'usr/share/info', 'var/lib/apt/lists', 'var/cache/apt', 'var/cache/debconf']) {
    fs.rmSync(path.join(dir, sub), { recursive: true, force: true });
  }
}

/** Returns a cached minbase rootfs with spec's packages, making it with debootstrap the first time. */
export async function cachedRootfs(spec: RootfsSpec, mirror = process.env.PAAS_TEST_DEBIAN_MIRROR || 'http://deb.debian.org/debian'): Promise<string> {
  const cache = rootfsCacheDir();
  const key = crypto.createHash('sha256').update(JSON.stringify([suite, 'minbase', [...spec.include].sort()])).digest('hex').slice(0, 10);
  const dir = path.join(cache, `${spec.name}-${suite}-${key}`);
  if (fs.existsSync(path.join(dir, 'etc/debian_version'))) return dir;
  fs.mkdirSync(path.join(cache, 'debs'), { recursive: true });
  // Made beside its final name and renamed when complete, so an interrupted run never leaves a broken cache.
  const partial = `${dir}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  const include = spec.include.length > 0 ? [`--include=${spec.include.join(',')}`] : [];
  try {
    await run(['debootstrap', '--variant=minbase', ...include, `--cache-dir=${path.join(cache, 'debs')}`, suite, partial, mirror], { timeoutMs: 20 * 60_000 });
    trimRootfs(partial);
    fs.renameSync(partial, dir);
  } catch (err) {
    fs.rmSync(partial, { recursive: true, force: true });
    if (fs.existsSync(path.join(dir, 'etc/debian_version'))) return dir; // another run finished it first
    throw err;
  }
  return dir;
}
