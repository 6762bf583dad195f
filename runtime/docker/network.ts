// runtime/docker/network.ts — the platform's own bridge network in the Engine, `paas-<platform>`: builds and app
// containers run on it with inter-container traffic off, so neither reaches another app's container except through
// the router (web's port published on 127.0.0.1). Used by build.ts and containers.ts.
import type Docker from 'dockerode';
import { labels } from './names.ts';

/** The platform's network: `paas-<platform>`. */
export function networkName(platform: string): string {
  return `paas-${platform}`;
}

/** The Engine's networks named exactly name (its name filter matches substrings), oldest first. */
async function networksNamed(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo[]> {
  const found = await docker.listNetworks({ filters: { name: [name] } });
  return found.filter((n) => n.Name === name).sort((a, b) => a.Created.localeCompare(b.Created));
}

// Deploys and builds ask at once (one container per process); the Engine's CheckDuplicate does not stop two creates
// racing, and a duplicated name makes every later create fail ("ambiguous"). So one ask per network at a time here.
const making = new Map<string, Promise<string>>();

/**
 * Security boundary: makes the platform's network unless it exists. A bridge with inter-container communication
 * off (`enable_icc: false`: the Engine drops traffic between its containers), labelled with the platform so cleanup
 * finds it. Returns its name.
 */
export function ensurePlatformNetwork(docker: Docker, platform: string): Promise<string> {
  const name = networkName(platform);
  let pending = making.get(name);
  if (!pending) {
    pending = makeNetwork(docker, platform, name).finally(() => making.delete(name));
    making.set(name, pending);
  }
  return pending;
}

async function makeNetwork(docker: Docker, platform: string, name: string): Promise<string> {
  const [first, ...extra] = await networksNamed(docker, name);
  // Duplicates (a race of an older version, or of two processes on one data dir) would make every create fail.
  for (const n of extra) await removeNetwork(docker, n.Id);
  if (first) return name;
  try {
    await docker.createNetwork({
      Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [labels.platform]: platform },
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err; // made meanwhile by another process
  }
  return name;
}

/** Removes a network by id; gone already, or still used by a container (403/409), is fine. */
async function removeNetwork(docker: Docker, id: string): Promise<void> {
  try {
    await docker.getNetwork(id).remove();
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 403 && status !== 404 && status !== 409) throw err;
  }
}

/** Removes the platform's network (every copy of its name); one still used by a container stays. */
export async function removePlatformNetwork(docker: Docker, platform: string): Promise<void> {
  for (const n of await networksNamed(docker, networkName(platform))) await removeNetwork(docker, n.Id);
}
