// runtime/docker/network.ts — the platform's own bridge network in the Engine, `paas-<platform>`: builds and app
// containers run on it with inter-container traffic off, so neither reaches another app's container except through
// the router (web's port published on 127.0.0.1). Used by build.ts and containers.ts.
import type Docker from 'dockerode';
import { labels } from './names.ts';

/** The platform's network: `paas-<platform>`. */
export function networkName(platform: string): string {
  return `paas-${platform}`;
}

/**
 * Security boundary: makes the platform's network unless it exists. A bridge with inter-container communication
 * off (`enable_icc: false`: the Engine drops traffic between its containers), labelled with the platform so cleanup
 * finds it. Returns its name.
 */
export async function ensurePlatformNetwork(docker: Docker, platform: string): Promise<string> {
  const name = networkName(platform);
  try {
    await docker.getNetwork(name).inspect();
    return name;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  try {
    await docker.createNetwork({
      Name: name, Driver: 'bridge', CheckDuplicate: true, Labels: { [labels.platform]: platform },
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 409) throw err; // made meanwhile by another build or deploy
  }
  return name;
}

/** Removes the platform's network; gone already, or still used by a container (409), is fine. */
export async function removePlatformNetwork(docker: Docker, platform: string): Promise<void> {
  try {
    await docker.getNetwork(networkName(platform)).remove();
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && status !== 409) throw err;
  }
}
