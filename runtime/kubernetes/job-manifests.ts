// runtime/kubernetes/job-manifests.ts — pure functions for the two Jobs the Kubernetes mode runs: the
// build (our builder as an init container, then Kaniko, in the build namespace, with its token Secret) and the
// release phase (the Procfile's `release:` line).
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { ISecret } from 'kubernetes-models/v1/Secret';
import type { Config } from '../../core/config.ts';
import { appContainerSecurity, appPodSpec, envFrom, processResources, type KubeRelease, type ManifestSettings } from './manifests.ts';
import { appLabels, appNamespace, appRepository, buildJobName, buildTokenSecretName, labelKeys, objectNames, releaseJobName } from './names.ts';

/** Settings the build Job depends on. */
export type BuildJobSettings = Pick<Config, 'buildNamespace' | 'registry' | 'registrySecret' | 'registryInsecure' | 'registryMirror' | 'builderImage' | 'kanikoImage' | 'gitdInternalUrl'>;

/** What one build needs: who, which build, and the token that lets its pod fetch the source from gitd. */
/** `deadlineSeconds`: the plan's build minutes left (the Job is ended past them); an hour at most, the default. */
export interface BuildJobInput { app: string; buildId: string; number: number; token: string; deadlineSeconds?: number }

/** Where the builder reads its token: a file of the projected per-build Secret, never an environment variable. */
export const BUILD_TOKEN_DIR = '/var/run/paas/build';
export const BUILD_TOKEN_FILE = `${BUILD_TOKEN_DIR}/token`;

/** Finished Jobs (and their pods and logs) are kept this long for a look with kubectl, then collected. */
export const JOB_TTL_SECONDS = 3600;

export const builderResources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } };
export const kanikoResources = { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '2', memory: '4Gi' } };

/** Where Kaniko pushes a build: `<registry>/apps/<app>:<build number>`. */
export function buildDestination(registry: string, app: string, number: number): string {
  return `${appRepository(registry, app)}:${number}`;
}

/** The image a deploy runs: the pushed repository at the digest Kaniko reported. */
export function imageByDigest(registry: string, app: string, digest: string): string {
  return `${appRepository(registry, app)}@${digest}`;
}

/** A registry's host[:port], without the path of a repository or a mirror. */
function registryHost(registry: string): string {
  return registry.split('/')[0]!;
}

function kanikoArgs(s: BuildJobSettings, b: BuildJobInput): string[] {
  const insecureHosts = s.registryInsecure ? [...new Set([registryHost(s.registry), ...(s.registryMirror ? [registryHost(s.registryMirror)] : [])])] : [];
  return [
    '--context=dir:///workspace',
    '--dockerfile=/workspace/Dockerfile', // the builder always writes it there (or the app brought its own)
    `--destination=${buildDestination(s.registry, b.app, b.number)}`,
    '--cache=true',
    `--cache-repo=${appRepository(s.registry, b.app)}/cache`,
    '--digest-file=/dev/termination-log', // the controller reads the digest from the terminated state
    '--push-retry=3',
    // Docker Hub names (the injected Dockerfiles' FROM node:20-alpine …) are asked of the mirror first.
    ...(s.registryMirror ? [`--registry-mirror=${s.registryMirror}`] : []),
    // A plain-HTTP registry (kind, k3d, the test cluster): pushes, cache lookups and pulls from it, and from the
    // mirror, go without TLS; other registries' base images still use it.
    ...(s.registryInsecure ? ['--insecure', ...insecureHosts.map((h) => `--insecure-registry=${h}`)] : []),
  ];
}

/** Labels of the build namespace and its shared objects (not any one app's); no managed-by: the chart may create it (Helm). */
export const buildNamespaceLabels = { [labelKeys.partOf]: 'paas', [labelKeys.tenant]: 'build' };

/** The build namespace: labelled as tenant code, so the chart's NetworkPolicy keeps its pods out of the platform's namespace. */
export function toBuildNamespace(s: Pick<Config, 'buildNamespace'>): INamespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: s.buildNamespace, labels: buildNamespaceLabels } };
}

function buildLabels(b: Pick<BuildJobInput, 'app' | 'number'>): Record<string, string> {
  return { ...appLabels(b.app), [labelKeys.component]: 'build', [labelKeys.build]: String(b.number) };
}

/**
 * The Secret holding the build token, in the build namespace. With `owner` (the Job once created) it carries an
 * ownerReference, so the garbage collector deletes it with the Job; the controller also deletes it when the build ends.
 */
export function toBuildTokenSecret(s: BuildJobSettings, b: BuildJobInput, owner?: { name: string; uid: string }): ISecret {
  const ownerReferences = owner ? [{ apiVersion: 'batch/v1', kind: 'Job', name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: false }] : undefined;
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: { name: buildTokenSecretName(b.app, b.number), namespace: s.buildNamespace, labels: buildLabels(b), ...(ownerReferences ? { ownerReferences } : {}) },
    data: { token: Buffer.from(b.token, 'utf8').toString('base64') },
  };
}

/** The builder: non-root (the builder image's numeric USER 1000), no capabilities, the token as a read-only file. */
function builderContainer(s: BuildJobSettings, b: BuildJobInput): IContainer {
  return {
    name: 'builder', image: s.builderImage,
    env: [
      { name: 'PAAS_SOURCE_URL', value: `${s.gitdInternalUrl}/internal/builds/${b.buildId}/source.tar` },
      { name: 'PAAS_BUILD_TOKEN_FILE', value: BUILD_TOKEN_FILE }, // single-build, expires after 15 minutes
      { name: 'PAAS_APP', value: b.app },
      { name: 'PAAS_BUILD_ID', value: b.buildId },
    ],
    volumeMounts: [{ name: 'workspace', mountPath: '/workspace' }, { name: 'build-token', mountPath: BUILD_TOKEN_DIR, readOnly: true }],
    resources: builderResources, terminationMessagePolicy: 'File',
    securityContext: { ...appContainerSecurity(), runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  };
}

/**
 * The build Job, in the build namespace: the builder init container fills /workspace, Kaniko builds and pushes it;
 * never retried. Kaniko runs as root (it unpacks base images) and runs the Dockerfile's RUN steps in its own
 * container, beside the registry credentials at /kaniko/.docker; it never sees the build token (docs/security.md).
 */
export function toBuildJob(s: BuildJobSettings, b: BuildJobInput): IJob {
  const labels = buildLabels(b);
  const workspace = { name: 'workspace', mountPath: '/workspace' };
  const dockerConfig = s.registrySecret ? [{ name: 'docker-config', mountPath: '/kaniko/.docker', readOnly: true }] : [];
  const tokenSecret = buildTokenSecretName(b.app, b.number);
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: buildJobName(b.app, b.number), namespace: s.buildNamespace, labels, annotations: { 'paas.dev/build-id': b.buildId } },
    spec: {
      backoffLimit: 0, // a failed build is reported, not retried: the push is waiting
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      activeDeadlineSeconds: Math.max(1, Math.min(3600, Math.ceil(b.deadlineSeconds ?? 3600))),
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          initContainers: [builderContainer(s, b)],
          containers: [{
            name: 'kaniko', image: s.kanikoImage, args: kanikoArgs(s, b),
            volumeMounts: [workspace, ...dockerConfig], resources: kanikoResources, terminationMessagePolicy: 'File',
          }],
          volumes: [
            { name: 'workspace', emptyDir: {} },
            // Only the builder mounts it; 0444 since the builder's uid does not own the file.
            { name: 'build-token', projected: { defaultMode: 0o444, sources: [{ secret: { name: tokenSecret, items: [{ key: 'token', path: 'token' }] } }] } },
            ...(s.registrySecret ? [{ name: 'docker-config', secret: { secretName: objectNames.pushSecret, items: [{ key: '.dockerconfigjson', path: 'config.json' }] } }] : []),
          ],
        },
      },
    },
  };
}

/**
 * The release phase Job (or an app.json script's): the new image, the new config, the command; never retried, and
 * ended by Kubernetes past `deadlineSeconds` (PAAS_RELEASE_TIMEOUT_SECONDS).
 */
export function toReleaseJob(s: ManifestSettings, r: KubeRelease, command: string, deadlineSeconds = 1800): IJob {
  const labels = { ...appLabels(r.app), [labelKeys.component]: 'release', [labelKeys.version]: `v${r.version}` };
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name: releaseJobName(r.version), namespace: appNamespace(s.namespacePrefix, r.app), labels },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: JOB_TTL_SECONDS,
      activeDeadlineSeconds: Math.max(1, Math.ceil(deadlineSeconds)),
      template: {
        metadata: { labels },
        spec: {
          ...appPodSpec(s, [{
            name: 'release', image: r.image, command: ['/bin/sh', '-c', command], envFrom,
            env: [{ name: 'DYNO', value: 'release.1' }], resources: processResources(s, r.memoryMb), securityContext: appContainerSecurity(),
          }]),
          restartPolicy: 'Never',
        },
      },
    },
  };
}
