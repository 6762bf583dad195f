// test/support/kubernetes.ts — helpers for the Kubernetes-mode tests: a stand-in API server with the platform's
// namespace, a Config pointing the drivers at it, release specs, and a scripted build pod (builder, then Kaniko).
import type { TestContext } from 'node:test';
import { loadConfig, type Config } from '../../core/config.ts';
import { connectKube, type Kube } from '../../runtime/kubernetes/client.ts';
import type { ReleaseSpec } from '../../runtime/types.ts';
import { startStandIn, type StandIn } from './kube-stand-in/server.ts';
import type { JobRun } from './kube-stand-in/sim.ts';

export interface KubeWorld { standIn: StandIn; kube: Kube; config: Config }

/** A stand-in cluster with the platform namespace `paas`, and a Config for Kubernetes mode (short boot timeout). */
export async function startKubeWorld(t: TestContext, env: NodeJS.ProcessEnv = {}): Promise<KubeWorld> {
  const standIn = await startStandIn();
  t.after(() => standIn.close());
  const kube = connectKube(standIn.kubeConfig());
  await kube.core.createNamespace({ body: { metadata: { name: 'paas' } } });
  const config = loadConfig({
    PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.test:5000', PAAS_BASE_DOMAIN: 'apps.test', PAAS_BOOT_TIMEOUT_MS: '1500', ...env,
  });
  return { standIn, kube, config };
}

export const digestOf = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;

/** A release spec as the deployer makes it, running image `registry.test:5000/<app>@<digest of version>`. */
export function kubeSpec(app: string, version: number, overrides: Partial<ReleaseSpec> = {}): ReleaseSpec {
  const config = overrides.config ?? { GREETING: 'hello' };
  return {
    app, version, slugDir: '', pathPrepend: [],
    env: { ...config, APP_NAME: app, RELEASE_VERSION: `v${version}`, PAAS_APP_URL: `http://${app}.apps.test/` },
    config,
    processes: [{ type: 'web', command: 'npm start', quantity: 1 }],
    image: `registry.test:5000/${app}@${digestOf(version)}`,
    ...overrides,
  };
}

export interface BuildScript {
  builderLines?: string[];
  /** The builder's termination message (a JSON build result by default); with builderExit != 0, its failure report. */
  builderMessage?: string;
  builderExit?: number;
  kanikoLines?: string[];
  kanikoExit?: number;
  digest?: string;
}

/** Scripts build pods: the builder prints and reports, then Kaniko prints and reports the digest (or fails). */
export function scriptBuilds(standIn: StandIn, script: (run: JobRun) => BuildScript): void {
  const previous = standIn.sim.jobScript;
  standIn.sim.jobScript = async (run) => {
    if (!run.job.metadata.name.startsWith('build-')) return previous(run);
    const s = script(run);
    run.start('builder');
    for (const line of s.builderLines ?? ['-----> Node.js app detected', '-----> Writing Dockerfile for Node.js']) run.log('builder', line);
    const result = JSON.stringify({ stack: 'node', processTypes: { web: 'npm start' }, dockerfile: 'Dockerfile' });
    run.exit('builder', s.builderExit ?? 0, s.builderMessage ?? result);
    if ((s.builderExit ?? 0) !== 0) return;
    run.start('kaniko');
    for (const line of s.kanikoLines ?? ['INFO Retrieving image manifest node:20-alpine', 'INFO Pushing image']) run.log('kaniko', line);
    run.exit('kaniko', s.kanikoExit ?? 0, s.kanikoExit ? undefined : s.digest ?? digestOf(7));
  };
}

/** Scripts release phase pods: prints the lines, then exits with the code. */
export function scriptReleases(standIn: StandIn, script: (run: JobRun) => { lines: string[]; exitCode: number }): void {
  const previous = standIn.sim.jobScript;
  standIn.sim.jobScript = async (run) => {
    if (!run.job.metadata.name.startsWith('release-')) return previous(run);
    const { lines, exitCode } = script(run);
    run.start('release');
    lines.forEach((l) => run.log('release', l));
    run.exit('release', exitCode);
  };
}
