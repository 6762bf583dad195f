// runtime/kubernetes/build-job.ts — the Kubernetes BuildDriver: a build Job per push (our builder, then
// Kaniko), both containers' logs streamed into the push as they are written, the process types read from the
// builder's termination message and the image digest from Kaniko's; deploys then run the image by digest.
import type { Knex } from 'knex';
import { imageProcessTypes } from '../../builders/app-facts.ts';
import { stacks } from '../../builders/detect.ts';
import { createBuildToken } from '../../core/build-tokens.ts';
import type { Config } from '../../core/config.ts';
import { PaasError, errorCodes, type ErrorCode } from '../../core/errors.ts';
import type { BuildDriver, BuildInput, BuildOutput } from '../driver.ts';
import type { Kube } from './client.ts';
import { applyObjects, deleteObject } from './apply.ts';
import { buildNamespaceLabels, imageByDigest, toBuildJob, toBuildNamespace, toBuildTokenSecret, type BuildJobInput } from './job-manifests.ts';
import { runJob, type ContainerEnd } from './job-run.ts';
import { objectNames } from './names.ts';
import { registrySecretCopy } from './registry-secret.ts';
import { stripEscapes } from '../docker/build-output.ts';

const DIGEST = /^sha256:[0-9a-f]{64}$/;
const KANIKO_LAST_LINES = 5;

/** What the builder reports in its termination message: the build result, or why it failed. */
type BuilderReport = { stack: string; processTypes: Record<string, string>; dockerfile: string } | { error: { code: string; message: string } };

/** Parses the builder's termination message; undefined when it is not one. */
export function parseBuilderReport(message: string): BuilderReport | undefined {
  try {
    const parsed = JSON.parse(message) as BuilderReport;
    if ('error' in parsed && typeof parsed.error?.message === 'string') return parsed;
    if ('stack' in parsed && typeof parsed.stack === 'string' && typeof parsed.processTypes === 'object' && parsed.processTypes) return parsed;
  } catch {
    // not JSON: reported as such below
  }
  return undefined;
}

function builderFailure(end: ContainerEnd): PaasError {
  const report = parseBuilderReport(end.message);
  if (report && 'error' in report) {
    const code = (report.error.code in errorCodes ? report.error.code : 'E_BUILD_FAILED') as ErrorCode;
    return new PaasError(code, report.error.message);
  }
  return new PaasError('E_BUILD_FAILED', `The builder failed (exit code ${end.exitCode}${end.reason ? `, ${end.reason}` : ''})`);
}

/** The stack named by the builder pod's `-----> <label> app detected` line (its output is all the driver sees). */
export function stackOfDetectionLine(line: string): string | undefined {
  const label = /^-----> (.+) app detected$/.exec(line)?.[1];
  return label === undefined ? undefined : stacks.find((s) => s.label === label)?.name;
}

export class KubernetesBuildDriver implements BuildDriver {
  constructor(private kube: Kube, private config: Config, private db: Knex) {}

  /** The build namespace, and the registry push Secret copied into it when one is configured. */
  private async prepareNamespace(): Promise<void> {
    const ns = this.config.buildNamespace;
    const push = await registrySecretCopy(this.kube, this.config, this.config.registrySecret, ns, objectNames.pushSecret, buildNamespaceLabels);
    await applyObjects(this.kube, [toBuildNamespace(this.config), ...(push ? [push] : [])]);
  }

  /**
   * Runs the build Job; throws PaasError with the builder's or Kaniko's reason when it fails. The token goes in a
   * Secret made before the Job (its pod mounts it), then owned by the Job, and deleted when the build is over.
   */
  async build(input: BuildInput): Promise<BuildOutput> {
    await this.prepareNamespace();
    const b: BuildJobInput = {
      app: input.app, buildId: input.buildId, number: input.number, token: await createBuildToken(this.db, input.buildId),
      ...(input.deadlineMs === undefined ? {} : { deadlineSeconds: input.deadlineMs / 1000 }),
    };
    const secret = toBuildTokenSecret(this.config, b);
    await applyObjects(this.kube, [secret]);
    try {
      return await this.runBuild(input, b);
    } finally {
      await deleteObject(this.kube, { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret.metadata!.name!, namespace: this.config.buildNamespace } });
    }
  }

  private async runBuild(input: BuildInput, b: BuildJobInput): Promise<BuildOutput> {
    const job = toBuildJob(this.config, b);
    let report: BuilderReport | undefined;
    let failure: PaasError | undefined;
    let digest: string | undefined;
    const kanikoLines: string[] = [];
    await runJob(this.kube, job, ['builder', 'kaniko'], {
      onCreated: async (created) => {
        await applyObjects(this.kube, [toBuildTokenSecret(this.config, b, { name: created.metadata!.name!, uid: created.metadata!.uid! })]);
      },
      onLine: (container, line) => {
        if (container === 'builder') {
          // The builder prints its failure too; the pipeline prints it once, from the termination message.
          if (!line.startsWith(' !     ')) input.log(line);
          const detected = stackOfDetectionLine(line);
          if (detected) input.onStack?.(detected);
          return;
        }
        // Kaniko colours its level (`\x1b[36mINFO\x1b[0m[0003] …`) and pads each message: neither belongs in a push.
        const text = stripEscapes(line).trimEnd();
        kanikoLines.push(text);
        if (kanikoLines.length > 200) kanikoLines.shift();
        input.log(`       ${text}`);
      },
      onEnd: (container, end) => {
        if (container === 'builder') {
          report = end.exitCode === 0 ? parseBuilderReport(end.message) : undefined;
          if (end.exitCode !== 0) failure = builderFailure(end);
          else if (!report || 'error' in report) failure = new PaasError('E_BUILD_FAILED', 'The builder reported no build result');
          else input.log('-----> Building the image with Kaniko');
          return failure === undefined;
        }
        if (end.exitCode !== 0) {
          const last = kanikoLines.filter((l) => l.trim()).slice(-KANIKO_LAST_LINES);
          failure = new PaasError('E_BUILD_FAILED', [`Kaniko failed (exit code ${end.exitCode}); its last lines:`, ...last.map((l) => `  ${l}`)].join('\n'));
        } else if (!DIGEST.test(end.message)) {
          failure = new PaasError('E_BUILD_FAILED', `Kaniko reported no image digest (got "${end.message.slice(0, 80)}")`);
        } else digest = end.message;
        return false;
      },
    }, 'E_BUILD_FAILED');
    if (failure) throw failure;
    if (!report || 'error' in report || !digest) throw new PaasError('E_BUILD_FAILED', 'The build Job ended without a result');
    const image = imageByDigest(this.config.registry, input.app, digest);
    input.log(`       Pushed ${image}`);
    return { stack: report.stack, processTypes: imageProcessTypes(report.stack, report.processTypes), pathPrepend: [], slugDir: null, image };
  }
}
