// runtime/docker/images.ts — removes an app's build images from the Engine: those beyond slug retention (after a
// deploy) and all of them (apps:destroy). Only tags of the app's own repository, `paas-<platform>/<app>:<N>`, are touched.
import type Docker from 'dockerode';
import { imageRepo, platformId } from './names.ts';

/** The build numbers of the app's images in the Engine, with their tags. */
async function appImageTags(docker: Docker, platform: string, app: string): Promise<Array<{ tag: string; number: number }>> {
  const repo = imageRepo(platform, app);
  const images = await docker.listImages({ filters: { reference: [`${repo}:*`] } });
  const tags = images.flatMap((i) => i.RepoTags ?? []);
  return tags.flatMap((tag) => {
    const m = /^(.+):(\d+)$/.exec(tag);
    return m && m[1] === repo ? [{ tag, number: Number(m[2]) }] : [];
  });
}

/** Removes a tag; one already gone is fine, one a container still uses (409) is kept. Returns whether it went. */
async function untag(docker: Docker, tag: string, force: boolean): Promise<boolean> {
  try {
    await docker.getImage(tag).remove({ force });
    return true;
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 404 || status === 409) return false;
    throw err;
  }
}

/**
 * Removes the app's build images whose numbers are not in keepNumbers (an image a container still uses stays);
 * returns the tags removed.
 */
export async function pruneAppImages(docker: Docker, platform: string, app: string, keepNumbers: Iterable<number>): Promise<string[]> {
  const keep = new Set(keepNumbers);
  const removed: string[] = [];
  for (const { tag, number } of await appImageTags(docker, platform, app)) {
    if (!keep.has(number) && (await untag(docker, tag, false))) removed.push(tag);
  }
  return removed;
}

/** Removes every build image of the app (apps:destroy; its containers are gone first). Returns the tags removed. */
export async function removeAppImages(docker: Docker, platform: string, app: string): Promise<string[]> {
  const removed: string[] = [];
  for (const { tag } of await appImageTags(docker, platform, app)) {
    if (await untag(docker, tag, true)) removed.push(tag);
  }
  return removed;
}

/** The deployer's image pruning for this platform (controller/slug-retention.ts RemoveAppImages). */
export function appImageRemover(docker: Docker, dataDir: string): (app: string, keepNumbers: number[]) => Promise<string[]> {
  const platform = platformId(dataDir);
  return (app, keepNumbers) => pruneAppImages(docker, platform, app, keepNumbers);
}

/**
 * Removes what a failed or cancelled build left: the images its steps committed (ids read from its answer), when
 * they are still dangling and were made since the build started. Both checks matter: a step's output can print any
 * ` ---> <id>` line, and only an untagged image without children, younger than the build, can be its leftover.
 * Removing the tip also removes its untagged parents (the earlier steps). Returns the ids removed.
 */
export async function removeBuildLeftovers(docker: Docker, stepImages: readonly string[], startedMs: number): Promise<string[]> {
  if (stepImages.length === 0) return [];
  const since = Math.floor(startedMs / 1000) - 1; // Created is in whole seconds
  const dangling = await docker.listImages({ filters: { dangling: ['true'] } });
  const ours = dangling.filter((i) => i.Created >= since && stepImages.some((id) => i.Id.replace(/^sha256:/, '').startsWith(id)));
  const removed: string[] = [];
  for (const image of ours) if (await untag(docker, image.Id, false)) removed.push(image.Id);
  return removed;
}
