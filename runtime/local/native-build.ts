// runtime/local/native-build.ts — the embedded mode's BuildDriver: unpacks the pushed tree into the build's
// slug directory and builds it in place on this host (builders/native.ts), each step in the app's sandbox (jail.ts).
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildNative } from '../../builders/native.ts';
import { PaasError } from '../../core/errors.ts';
import type { BuildDriver, BuildInput, BuildOutput } from '../driver.ts';
import type { Jail } from './jail.ts';

const exec = promisify(execFile);

/** The app's build cache (npm, pip, go), beside its slugs: <data>/apps/<app>/cache; a sandbox sees it at /cache. */
export function cacheDirOf(slugDir: string): string {
  return path.join(path.dirname(path.dirname(slugDir)), 'cache');
}

/** Where the tools keep their caches inside the sandbox: the app's own /cache, never a cache shared between apps. */
const sandboxCacheEnv = { npm_config_cache: '/cache/npm', PIP_CACHE_DIR: '/cache/pip', GOCACHE: '/cache/go-build', GOPATH: '/cache/go' };

export class NativeBuildDriver implements BuildDriver {
  constructor(private readonly jail?: Jail) {}

  /** Builds in input.slugDir; a failed build leaves no slug behind. */
  async build(input: BuildInput): Promise<BuildOutput> {
    const { slugDir } = input;
    if (!fs.existsSync(input.archivePath)) throw new PaasError('E_BUILD_FAILED', 'The pushed source is no longer available; push again');
    try {
      fs.rmSync(slugDir, { recursive: true, force: true });
      fs.mkdirSync(slugDir, { recursive: true });
      await exec('tar', ['-x', '--no-same-owner', '-f', input.archivePath, '-C', slugDir]);
      const result = await buildNative({ srcDir: slugDir, env: this.buildEnv(input.env), say: input.log, sandbox: await this.sandbox(input), onStack: input.onStack, signal: input.signal });
      return { ...result, slugDir, image: null };
    } catch (err) {
      fs.rmSync(slugDir, { recursive: true, force: true });
      throw err;
    }
  }

  private buildEnv(env: Record<string, string>): Record<string, string> {
    return this.jail?.sandboxed ? { ...env, ...sandboxCacheEnv } : env;
  }

  /** Hands the tree and the app's cache to the app's uid; every step then runs as it, in its sandbox. */
  private async sandbox(input: BuildInput) {
    if (!this.jail?.sandboxed) return undefined;
    const jail = this.jail;
    const cacheDir = cacheDirOf(input.slugDir);
    fs.mkdirSync(cacheDir, { recursive: true });
    await jail.own(input.slugDir, input.uid);
    await jail.own(cacheDir, input.uid);
    return { launcher: jail.plan.bind(jail), app: input.app, uid: input.uid, cacheDir };
  }
}
