// runtime/docker/build.ts — Docker mode's BuildDriver (also local mode's, for Dockerfile apps): unpacks the pushed
// tree, prepares it as the Kubernetes builder does (stack, injected Dockerfile, process types: builders/entrypoint.ts),
// and builds it on the Engine, every output line relayed into the push as it comes; the image is tagged per build.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { imageProcessTypes } from '../../builders/app-facts.ts';
import { prepareBuild } from '../../builders/entrypoint.ts';
import { indent } from '../../builders/run-step.ts';
import type { Config } from '../../core/config.ts';
import { PaasError } from '../../core/errors.ts';
import type { BuildDriver, BuildInput, BuildOutput } from '../driver.ts';
import { contextTar, readBuildAnswer, type BuildAnswer } from './build-output.ts';
import { removeBuildLeftovers } from './images.ts';
import { ensurePlatformNetwork } from './network.ts';
import { imageTag, labels, platformId } from './names.ts';

const exec = promisify(execFile);
const MiB = 1024 * 1024;
/** A build (npm ci, pip, go build) needs more than a running app; the build gets at least this much. */
const minBuildMemoryMb = 1024;
/**
 * The nproc ulimit counts every process of the step's uid on the host (app containers of uid 1000 too), so it is set
 * well above one app's pids: a fork bomb stops there rather than at the host's limit.
 */
const minBuildPids = 4096;
/** The CFS period of a build step's CPU quota (the Engine's default, 100 ms). */
const cpuPeriodUs = 100_000;

export type DockerBuildConfig = Pick<Config, 'dataDir' | 'buildTimeoutMs' | 'appLimits'>;

export class DockerBuildDriver implements BuildDriver {
  constructor(private readonly docker: Docker, private readonly config: DockerBuildConfig) {}

  /** Builds image `paas-<platform>/<app>:<number>`; throws E_BUILD_FAILED with the Engine's reason when it fails. */
  async build(input: BuildInput): Promise<BuildOutput> {
    if (!fs.existsSync(input.archivePath)) throw new PaasError('E_BUILD_FAILED', 'The pushed source is no longer available; push again');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-docker-build-'));
    try {
      await exec('tar', ['-x', '--no-same-owner', '-f', input.archivePath, '-C', dir]).catch((err: Error & { stderr?: string }) => {
        throw new PaasError('E_BUILD_FAILED', `Unpacking the pushed source failed: ${(err.stderr ?? err.message).trim()}`, { cause: err });
      });
      // The same preparation as the Kubernetes builder pod; the non-root advice is Kubernetes' alone.
      const prepared = prepareBuild(dir, input.log, { warnNonRoot: false, onStack: input.onStack });
      const processTypes = imageProcessTypes(prepared.stack, prepared.processTypes);
      if (processTypes.web === '') input.log(`${indent}No Procfile: web runs the image's own CMD or ENTRYPOINT`);
      const tag = imageTag(platformId(this.config.dataDir), input.app, input.number);
      input.log('-----> Building the image with Docker Engine');
      await this.buildImage(dir, tag, input);
      input.log(`${indent}Tagged ${tag}`);
      return { stack: prepared.stack, processTypes, pathPrepend: [], slugDir: null, image: tag };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Streams the context to the Engine's build API and relays its output; cancels it at the build deadline. */
  private async buildImage(dir: string, tag: string, input: BuildInput): Promise<void> {
    const options = await this.buildOptions(tag, input.app).catch((err: Error) => {
      throw new PaasError('E_BUILD_FAILED', `The Docker Engine could not build the image: ${err.message}`, { cause: err });
    });
    const context = contextTar(dir);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.config.buildTimeoutMs);
    const stop = () => deadline.abort(); // the plan's build minutes ran out (controller/builder.ts)
    if (input.signal?.aborted) stop();
    input.signal?.addEventListener('abort', stop, { once: true });
    const started = Date.now();
    const answer: BuildAnswer = { stepImages: [] };
    try {
      const res = await this.docker.buildImage(context.stream, { ...options, abortSignal: deadline.signal }) as Readable;
      await readBuildAnswer(res, (line) => input.log(line.trim() === '' ? '' : indent + line), answer);
      await context.done;
    } catch (err) {
      await this.removeLeftovers(answer, started, input);
      if (deadline.signal.aborted) {
        throw new PaasError('E_BUILD_FAILED', `The image build took longer than ${Math.round(this.config.buildTimeoutMs / 1000)} s and was cancelled (PAAS_BUILD_TIMEOUT_MS)`, { cause: err });
      }
      throw new PaasError('E_BUILD_FAILED', `The Docker Engine could not build the image: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
      input.signal?.removeEventListener('abort', stop);
      context.kill(); // a cancelled or failed upload leaves tar writing to nobody
    }
    if (answer.error) {
      await this.removeLeftovers(answer, started, input);
      const at = answer.step ? ` at \`${answer.step.slice(0, 200)}\`` : '';
      throw new PaasError('E_BUILD_FAILED', `The image build failed${at}: ${answer.error.trim()}`);
    }
  }

  /**
   * Security boundary: the limits of every build step's container. Memory (no swap), CPU as an app's
   * (PAAS_APP_CPUS), processes through the nproc ulimit (the classic build API has no pids limit; see docs/docker.md
   * for what that does not cover), and the platform's network, where a step cannot reach app containers.
   */
  private async buildOptions(tag: string, app: string): Promise<Record<string, unknown>> {
    const platform = platformId(this.config.dataDir);
    const memory = Math.max(this.config.appLimits.memoryMb, minBuildMemoryMb) * MiB;
    const { pids, cpus } = this.config.appLimits;
    const nproc = Math.max(pids, minBuildPids);
    return {
      t: tag, rm: true, forcerm: true, pull: false, memory, memswap: memory,
      cpuperiod: cpuPeriodUs, cpuquota: Math.max(1000, Math.round(cpus * cpuPeriodUs)),
      ulimits: JSON.stringify([{ Name: 'nproc', Soft: nproc, Hard: nproc }]),
      networkmode: await ensurePlatformNetwork(this.docker, platform),
      labels: { [labels.platform]: platform, [labels.app]: app },
    };
  }

  /** A failed or cancelled build's committed steps are dangling images nothing else removes. */
  private async removeLeftovers(answer: BuildAnswer, started: number, input: BuildInput): Promise<void> {
    try {
      await removeBuildLeftovers(this.docker, answer.stepImages, started);
    } catch (err) {
      // The build's own failure is what the push must show; the leftover is only disk space.
      input.log(`${indent}(could not remove the failed build's intermediate images: ${(err as Error).message})`);
    }
  }
}
