// core/git-source-target.ts — the SECURITY BOUNDARY of source fetches against SSRF: which hosts a connected repository
// may be fetched from (the same address policy as outgoing webhooks, core/webhook-target.ts), checked at git:connect
// (services/git-sources.ts) and again right before each fetch (gitd/source-fetch.ts), which then pins git to the
// address checked here (pinArgs), so a name that resolves elsewhere a moment later (DNS rebinding) gains nothing.
import dns from 'node:dns/promises';
import net from 'node:net';
import { PaasError } from './errors.ts';
import type { RepoUrl } from './git-source.ts';
import { refusedAddress } from './webhook-target.ts';

/** Resolves a host name to all its addresses (dns.lookup by default; tests pass their own). */
export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** The endpoint a fetch may dial: the URL's host and port, and the one checked address git is pinned to. */
export interface CheckedTarget { repo: RepoUrl; address: string }

const refused = (repo: RepoUrl, why: string) => new PaasError('E_SOURCE_URL_REFUSED', `The platform does not fetch from ${repo.host.slice(0, 100)}: ${why}`);

/**
 * Resolves the repository's host and refuses it (E_SOURCE_URL_REFUSED) when any of its addresses may not be dialled:
 * loopback, private, link-local, reserved — unless `allowPrivate` (PAAS_GIT_SOURCES_ALLOW_PRIVATE) — and cloud
 * metadata addresses always. Returns undefined when the name does not resolve (nothing can be dialled then).
 */
export async function checkSourceHost(repo: RepoUrl, allowPrivate: boolean, resolve: Resolver = systemResolver): Promise<CheckedTarget | undefined> {
  let addresses: string[];
  if (net.isIP(repo.host)) addresses = [repo.host];
  else {
    try { addresses = await resolve(repo.host); } catch { return undefined; }
  }
  if (addresses.length === 0) return undefined;
  for (const a of addresses) {
    const why = refusedAddress(a, allowPrivate);
    if (why) throw refused(repo, why);
  }
  return { repo, address: addresses[0]! };
}

/** An address as a URL or curl writes it: IPv6 in brackets. */
const bracketed = (address: string) => (net.isIPv6(address) ? `[${address}]` : address);

/**
 * How git is pinned to the checked address, by transport. https/http: curl's resolve list for the host and port (TLS
 * still verifies the name), and no redirects (a redirect would reach a host that was never checked). ssh: connect to
 * the address while known_hosts keeps the name's entry (HostName + HostKeyAlias). git://: the URL names the address.
 */
export function pinArgs(t: CheckedTarget): { gitConfig: string[]; sshOptions: string[]; url: string } {
  const { repo, address } = t;
  const literal = net.isIP(repo.host) !== 0;
  if (repo.protocol === 'https' || repo.protocol === 'http') {
    const resolve = literal ? [] : ['-c', `http.curloptResolve=${repo.host}:${repo.port}:${bracketed(address)}`];
    return { gitConfig: [...resolve, '-c', 'http.followRedirects=false'], sshOptions: [], url: repo.url };
  }
  if (repo.protocol === 'ssh') {
    // The alias is the entry name ssh would have used for the URL's host ("host", or "[host]:port" off port 22).
    const alias = repo.port === 22 ? repo.host : `[${repo.host}]:${repo.port}`;
    return { gitConfig: [], sshOptions: ['-o', `HostName=${address}`, '-o', `HostKeyAlias=${alias}`], url: repo.url };
  }
  const u = new URL(repo.url);
  u.hostname = bracketed(address);
  return { gitConfig: [], sshOptions: [], url: u.toString() };
}
