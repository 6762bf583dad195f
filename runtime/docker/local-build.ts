// runtime/docker/local-build.ts — local mode's BuildDriver: Dockerfile apps are built by the Docker Engine when one
// answers (PAAS_DOCKER=auto), everything else natively; without an Engine, the native refusal says how to get one.
// runtime/select.ts builds it for local mode.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { detectStack } from '../../builders/detect.ts';
import { treeFromDir } from '../../builders/tree.ts';
import { isPaasError, PaasError } from '../../core/errors.ts';
import type { BuildDriver, BuildInput, BuildOutput } from '../driver.ts';

const exec = promisify(execFile);

/** Whether local mode may use the Engine, and a check that it answers (undefined when it does; else why not). */
export interface LocalDockerSetting {
  localDockerfiles: 'auto' | 'off';
  engineProblem(): Promise<string | undefined>;
}

/** True when the pushed tree is detected as a Dockerfile app (the first match of builders/detect.ts). */
export async function isDockerfileApp(archivePath: string): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-detect-'));
  try {
    await exec('tar', ['-x', '--no-same-owner', '-f', archivePath, '-C', dir]);
    return detectStack(treeFromDir(dir)).name === 'dockerfile';
  } catch {
    return false; // an unreadable or unknown tree: the native build says what is wrong with it
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export class LocalBuildDriver implements BuildDriver {
  constructor(
    private readonly native: BuildDriver,
    private readonly docker: BuildDriver,
    private readonly setting: LocalDockerSetting,
  ) {}

  /** Builds a Dockerfile app on the Engine when it may and can; anything else natively. */
  async build(input: BuildInput): Promise<BuildOutput> {
    if (!fs.existsSync(input.archivePath) || !(await isDockerfileApp(input.archivePath))) return this.native.build(input);
    const why = this.setting.localDockerfiles === 'off'
      ? 'PAAS_DOCKER=off keeps local mode from using Docker Engine'
      : await this.setting.engineProblem().then((p) => (p ? `no Docker Engine answers (${p})` : undefined));
    if (why === undefined) return this.docker.build(input);
    try {
      return await this.native.build(input); // refuses the Dockerfile app, after the usual detection line
    } catch (err) {
      if (isPaasError(err) && err.code === 'E_RUNTIME_UNSUPPORTED') {
        throw new PaasError('E_RUNTIME_UNSUPPORTED', `${err.message} Here, ${why}.`, { cause: err });
      }
      throw err;
    }
  }
}
