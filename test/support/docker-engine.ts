// test/support/docker-engine.ts — the Docker Engine as the compat and Docker-mode tests see it: whether one answers
// (else why the Docker runs are skipped), the local base images (test/support/docker.ts), and the
// removal of everything a test platform left in the Engine, found by its platform label and image names.
import type Docker from 'dockerode';
import { engineProblem, imageRepo, labels, platformId } from '../../runtime/docker/names.ts';
import { removePlatformNetwork } from '../../runtime/docker/network.ts';
import { ensureDockerBaseImages, testDocker } from './docker.ts';

export { testDocker };

/** False when an Engine answers; else the reason to skip, for node:test's `skip`. */
export async function dockerSkip(): Promise<false | string> {
  const problem = await engineProblem(testDocker());
  return problem === undefined ? false : `no Docker Engine (${problem}); .ci/run starts one`;
}

/** The base images the samples and Docker-mode tests start FROM (no Go: the Go sample fails before its build). */
export const neededBaseImages = ['node:20-alpine', 'python:3.12-slim', 'debian:bookworm-slim'] as const;

/** Makes the local stand-ins of those base images (test/support/docker.ts). */
export async function ensureBaseImages(docker: Docker): Promise<void> {
  await ensureDockerBaseImages(docker, neededBaseImages);
}

/** The ids of the platform's containers (all states) for an app, or for every app when app is undefined. */
export async function platformContainers(docker: Docker, dataDir: string, filter: { app?: string; type?: string; running?: boolean } = {}): Promise<Docker.ContainerInfo[]> {
  const label = [`${labels.platform}=${platformId(dataDir)}`];
  if (filter.app) label.push(`${labels.app}=${filter.app}`);
  if (filter.type) label.push(`${labels.type}=${filter.type}`);
  return docker.listContainers({ all: !filter.running, filters: { label } });
}

/** The tags of the platform's images for an app (`paas-<platform>/<app>:<N>`). */
export async function platformImages(docker: Docker, dataDir: string, app: string): Promise<string[]> {
  const repo = imageRepo(platformId(dataDir), app);
  const images = await docker.listImages({ filters: { reference: [repo] } });
  return images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`${repo}:`));
}

/**
 * Removes every container, image, volume and its network the platform of dataDir made (its label, its image names), so a test
 * run leaves the Engine as it found it whatever the platform did. Call it after the platform has stopped.
 */
export async function removePlatformLeftovers(docker: Docker, dataDir: string): Promise<void> {
  const id = platformId(dataDir);
  for (const c of await platformContainers(docker, dataDir)) {
    await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignoreGone);
  }
  // By tag, not by id: an image may also carry a base image's name (a Dockerfile of only FROM builds no new id).
  const tags = (await docker.listImages()).flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`paas-${id}/`));
  for (const tag of tags) await docker.getImage(tag).remove({ force: true }).catch(ignoreGone);
  const { Volumes } = await docker.listVolumes({ filters: { label: [`${labels.platform}=${id}`] } });
  for (const v of Volumes ?? []) await docker.getVolume(v.Name).remove({ force: true }).catch(ignoreGone);
  await removePlatformNetwork(docker, id);
}

/** 404 (already gone) and 409 (its removal already under way, by the platform) are what cleanup wants; nothing else is. */
function ignoreGone(err: { statusCode?: number }): void {
  if (err.statusCode !== 404 && err.statusCode !== 409) throw err;
}
