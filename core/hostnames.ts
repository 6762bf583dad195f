// core/hostnames.ts — the security boundary for custom domains (domains:add): a host an app is given receives
// every cookie a browser holds for that host, so IP literals, the platform's own hosts and reserved names are refused.
import net from 'node:net';
import { PaasError } from './errors.ts';
import { parseHostname, RESERVED_NAMES } from './names.ts';

/** The hosts the platform serves itself on: the apps' base domain and the dashboard's (and API's) hosts. */
export interface PlatformHosts { baseDomain: string; dashboardHosts: readonly string[] }

/** Lowercases, trims, and drops one trailing dot and IPv6 brackets: how a browser or resolver sees the host. */
function bare(raw: string): string {
  const host = raw.trim().toLowerCase().replace(/\.$/, '');
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * True for anything a browser or getaddrinfo takes as an IP address: dotted IPv4, IPv6 (bracketed or not), and the
 * WHATWG/inet_aton forms whose last label is a number (2130706433, 0x7f.1, 0177.0.0.1, 127.1). No real top-level
 * domain is numeric, so a numeric last label is refused whatever the other labels are.
 */
export function isIpLiteral(raw: string): boolean {
  const host = bare(raw);
  if (net.isIP(host) !== 0 || host.includes(':')) return true;
  const last = host.split('.').pop() ?? '';
  return /^(0x[0-9a-f]*|[0-9]+)$/.test(last);
}

/** True when host is `parent` or a name under it. */
function within(host: string, parent: string): boolean {
  return parent !== '' && (host === parent || host.endsWith(`.${parent}`));
}

/**
 * Returns the hostname a custom domain may use, or throws: E_DOMAIN_IP for IP literals, E_DOMAIN_RESERVED for the
 * platform's hosts (the base domain and every name under it, `<reserved>.<base>` included; the dashboard's hosts and
 * names under them, which could set cookies for the dashboard), E_DOMAIN_INVALID for what is not a hostname.
 */
export function parseCustomDomain(raw: string, platform: PlatformHosts): string {
  const shown = raw.trim().slice(0, 80);
  if (isIpLiteral(raw)) {
    throw new PaasError('E_DOMAIN_IP', `"${shown}" is an IP address; a custom domain must be a hostname, for example www.example.com`);
  }
  const host = bare(raw);
  if (!/^[a-z0-9.-]{1,253}$/.test(host)) return parseHostname(raw); // refuses it: only name characters are echoed below
  const base = bare(platform.baseDomain);
  if (within(host, base)) {
    const label = host === base ? '' : host.slice(0, -base.length - 1).split('.').pop()!;
    const why = RESERVED_NAMES.has(label) ? `${label}.${base} is reserved for the platform` : `every app is served at <app>.${base} already`;
    throw new PaasError('E_DOMAIN_RESERVED', `${host} is under the platform's domain ${base}: ${why}`);
  }
  const own = platform.dashboardHosts.map(bare).find((h) => within(host, h));
  if (own) throw new PaasError('E_DOMAIN_RESERVED', `${host} belongs to the platform (its dashboard is served at ${own}); pick a host of your own`);
  return parseHostname(raw);
}
