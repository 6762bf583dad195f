// runtime/local/native-build.ts — the embedded mode's BuildDriver: unpacks the pushed tree into the build's
// slug directory and builds it in place on this host (builders/native.ts).
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { buildNative } from '../../builders/native.ts';
import { PaasError } from '../../core/errors.ts';
import type { BuildDriver, BuildInput, BuildOutput } from '../driver.ts';

const exec = promisify(execFile);

export class NativeBuildDriver implements BuildDriver {
  /** Builds in input.slugDir; a failed build leaves no slug behind. */
  async build(input: BuildInput): Promise<BuildOutput> {
    const { slugDir } = input;
    if (!fs.existsSync(input.archivePath)) throw new PaasError('E_BUILD_FAILED', 'The pushed source is no longer available; push again');
    try {
      fs.rmSync(slugDir, { recursive: true, force: true });
      fs.mkdirSync(slugDir, { recursive: true });
      await exec('tar', ['-x', '-f', input.archivePath, '-C', slugDir]);
      const result = await buildNative({ srcDir: slugDir, env: input.env, say: input.log });
      return { ...result, slugDir, image: null };
    } catch (err) {
      fs.rmSync(slugDir, { recursive: true, force: true });
      throw err;
    }
  }
}
