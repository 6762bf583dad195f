// runtime/kubernetes/job-manifests.ts — pure functions for the two Jobs the Kubernetes mode runs: the
// build (our builder as an init container, then Kaniko) and the release phase (the Procfile's `release:` line).
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { Config } from '../../core/config.ts';
import { appPodSpec, envFrom, processResources, type KubeRelease, type ManifestSettings } from './manifests.ts';
import { appLabels, appNamespace, buildJobName, labelKeys, releaseJobName } from './names.ts';

/** Settings the build Job depends on. */
export type BuildJobSettings = Pick<Config, 'namespace' | 'registry' | 'registrySecret' | 'registryInsecure' | 'builderImage' | 'kanikoImage' | 'gitdInternalUrl'>;

/** What one build needs: who, which build, and the token that lets its pod fetch the source from gitd. */
export interface BuildJobInput { app: string; buildId: string; number: number; token: string }

/** Finished Jobs (and their pods and logs) are kept this long for a look with kubectl, then collected. */
export const JOB_TTL_SECONDS = 3600;

export const builderResources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } };
export const kanikoResources = { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } };

/** Where Kaniko pushes a build: `<registry>/<app>:<build number>`. */
export function buildDestination(registry: string, app: string, number: number): string {
  return `${registry}/${app}:${number}`;
}

/** The image a deploy runs: the pushed repository at the digest Kaniko reported. */
export function imageByDigest(registry: string, app: string, digest: string): string {
  return `${registry}/${app}@${digest}`;
}

function kanikoArgs(s: BuildJobSettings, b: BuildJobInput): string[] {
  return [
    '--context=dir:///workspace',
    '--dockerfile=/workspace/Dockerfile', // the builder always writes it there (or the app brought its own)
    `--destination=${buildDestination(s.registry, b.app, b.number)}`,
    '--cache=true',
    `--cache-repo=${s.registry}/${b.app}/cache`,
    '--digest-file=/dev/termination-log', // the controller reads the digest from the terminated state
    '--push-retry=3',
    // A plain-HTTP registry (kind, k3d): pushes and cache lookups there go without TLS; base images still use it.
    ...(s.registryInsecure ? ['--insecure', `--insecure-registry=${s.registry.split('/')[0]}`] : []),
  ];
}

/** The build Job: the builder init container fills /workspace, Kaniko builds and pushes it; never retried. */
export function toBuildJob(s: BuildJobSettings, b: BuildJobInput): IJob {
  const labels = { ...appLabels(b.app), [labelKeys.component]: 'build', [labelKeys.build]: String(b.number) };
  const workspace = { name: 'workspace', mountPath: '/workspace' };
  const dockerConfig = s.registrySecret ? [{ name: 'docker-config', mountPath: '/kaniko/.docker', readOnly: true }] : [];
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: buildJobName(b.app, b.number), namespace: s.namespace, labels, annotations: { 'paas.dev/build-id': b.buildId } },
    spec: {
      backoffLimit: 0, // a failed build is reported, not retried: the push is waiting
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      activeDeadlineSeconds: 3600,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          initContainers: [{
            name: 'builder', image: s.builderImage,
            env: [
              { name: 'PAAS_SOURCE_URL', value: `${s.gitdInternalUrl}/internal/builds/${b.buildId}/source.tar` },
              { name: 'PAAS_BUILD_TOKEN', value: b.token }, // single-build, expires after 15 minutes
              { name: 'PAAS_APP', value: b.app },
              { name: 'PAAS_BUILD_ID', value: b.buildId },
            ],
            volumeMounts: [workspace], resources: builderResources, terminationMessagePolicy: 'File',
          }],
          containers: [{
            name: 'kaniko', image: s.kanikoImage, args: kanikoArgs(s, b),
            volumeMounts: [workspace, ...dockerConfig], resources: kanikoResources, terminationMessagePolicy: 'File',
          }],
          volumes: [
            { name: 'workspace', emptyDir: {} },
            ...(s.registrySecret ? [{ name: 'docker-config', secret: { secretName: s.registrySecret, items: [{ key: '.dockerconfigjson', path: 'config.json' }] } }] : []),
          ],
        },
      },
    },
  };
}

/** The release phase Job: the new image, the new config, the Procfile's `release:` command; never retried. */
export function toReleaseJob(s: ManifestSettings, r: KubeRelease, command: string): IJob {
  const labels = { ...appLabels(r.app), [labelKeys.component]: 'release', [labelKeys.version]: `v${r.version}` };
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: releaseJobName(r.version), namespace: appNamespace(s.namespacePrefix, r.app), labels },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      activeDeadlineSeconds: 1800,
      template: {
        metadata: { labels },
        spec: {
          ...appPodSpec(s, [{
            name: 'release', image: r.image, command: ['/bin/sh', '-c', command], envFrom,
            env: [{ name: 'DYNO', value: 'release.1' }], resources: processResources, securityContext: { allowPrivilegeEscalation: false },
          }]),
          restartPolicy: 'Never',
        },
      },
    },
  };
}
