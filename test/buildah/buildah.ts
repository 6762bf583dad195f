// test/buildah/buildah.ts — drives the real buildah (chroot isolation, vfs driver, a private storage root per run)
// for the build tests: import a rootfs as an image, build a Dockerfile, inspect and run the result.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from './rootfs.ts';

/** The parts of an image's config the tests check. */
export interface ImageConfig {
  Cmd?: string[];
  Entrypoint?: string[];
  User?: string;
  WorkingDir?: string;
  Env?: string[];
  ExposedPorts?: Record<string, unknown>;
}

/** Why buildah cannot be used here, or undefined when it can. */
export function buildahMissing(): string | undefined {
  for (const tool of ['buildah', 'debootstrap']) {
    try {
      execFileSync(tool, ['--version'], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (apt-get install buildah debootstrap; .ci/run does)`;
    }
  }
  if (process.getuid?.() !== 0) return 'these tests run buildah and debootstrap as root';
  return undefined;
}

/** One private buildah storage; every call uses it, and destroy() removes it. */
export class Buildah {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-buildah-'));

  private storage(): string[] {
    return ['--root', path.join(this.dir, 'root'), '--runroot', path.join(this.dir, 'run'), '--storage-driver', 'vfs'];
  }

  /** Runs `buildah <global storage flags> <args>` and returns its stdout. */
  run(args: readonly string[], timeoutMs = 10 * 60_000): Promise<string> {
    return run(['buildah', ...this.storage(), ...args], { timeoutMs, env: { ...process.env, BUILDAH_ISOLATION: 'chroot' } });
  }

  /** Makes image `tag` from a rootfs folder (what `podman import` does), after `customize` edits its files. */
  async importRootfs(rootfs: string, tag: string, customize?: (dir: string) => void): Promise<void> {
    await this.commitFrom('scratch', tag, async (mount) => {
      await run(['cp', '-a', `${rootfs}/.`, mount]);
      customize?.(mount);
    });
  }

  /** Makes image `tag` from image `from` with `customize`'s edits to its files. */
  async derive(from: string, tag: string, customize: (dir: string) => void): Promise<void> {
    await this.commitFrom(from, tag, async (mount) => customize(mount));
  }

  private async commitFrom(from: string, tag: string, fill: (mount: string) => Promise<void>): Promise<void> {
    const container = (await this.run(['from', '--pull=never', from])).trim();
    await fill((await this.run(['mount', container])).trim());
    await this.run(['config', '--cmd', '/bin/bash', container]);
    await this.run(['commit', '--quiet', '--rm', container, tag]);
  }

  /** Builds the Dockerfile in contextDir as `buildah bud --isolation chroot`; returns the seconds it took. */
  async bud(contextDir: string, tag: string, opts: { buildArgs?: Record<string, string>; dockerfile?: string; from?: string } = {}): Promise<number> {
    const args = ['bud', '--isolation', 'chroot', '--layers=false', '--pull=never', '--network', 'host', '-t', tag];
    for (const [k, v] of Object.entries(opts.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
    if (opts.from) args.push('--from', opts.from);
    args.push('-f', opts.dockerfile ?? path.join(contextDir, 'Dockerfile'), contextDir);
    const started = performance.now();
    await this.run(args);
    return Math.round((performance.now() - started) / 100) / 10;
  }

  /** The image's OCI config (CMD, USER, EXPOSE, …). */
  async inspect(image: string): Promise<ImageConfig> {
    const out = JSON.parse(await this.run(['inspect', '--type', 'image', image])) as { OCIv1: { config?: ImageConfig } };
    return out.OCIv1.config ?? {};
  }

  /** Runs argv in a fresh container of image (as the image's user and workdir, on the host network); returns its stdout. */
  async runIn(image: string, argv: readonly string[], opts: { env?: Record<string, string>; volumes?: string[]; timeoutMs?: number } = {}): Promise<string> {
    const container = (await this.run(['from', '--pull=never', image])).trim();
    try {
      const flags = [
        ...Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
        ...(opts.volumes ?? []).flatMap((v) => ['--volume', v]),
      ];
      return await this.run(['run', '--isolation', 'chroot', '--network', 'host', ...flags, container, '--', ...argv], opts.timeoutMs ?? 60_000);
    } finally {
      await this.run(['rm', container]);
    }
  }

  /** Removes every container and image, then the storage itself. */
  async destroy(): Promise<void> {
    await this.run(['rm', '--all']);
    await this.run(['rmi', '--all', '--force']);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
