// core/webhook-target.ts — the SECURITY BOUNDARY of outgoing webhooks (SSRF): which URLs a tenant may register and
// which addresses the sender may connect to. Used at registration (services/webhooks.ts) and again at each send
// (controller/webhook-send.ts, on the address actually dialled, so DNS rebinding gains nothing).
import dns from 'node:dns/promises';
import net from 'node:net';
import { PaasError } from './errors.ts';

/** The longest URL a hook may have. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Cloud metadata services: refused even when private targets are allowed (they hand out the host's credentials). */
const METADATA = new net.BlockList();
METADATA.addAddress('169.254.169.254', 'ipv4');
METADATA.addAddress('100.100.100.200', 'ipv4');
METADATA.addAddress('fd00:ec2::254', 'ipv6');

/** Anything that is not the public Internet: loopback, private, link-local, CGNAT, documentation, multicast, reserved. */
const NON_PUBLIC = new net.BlockList();
for (const [net4, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) NON_PUBLIC.addSubnet(net4, bits, 'ipv4');
for (const [net6, bits] of [['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]] as const) NON_PUBLIC.addSubnet(net6, bits, 'ipv6');

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d) stands for, else the address itself. */
function unmapped(address: string): string {
  const m = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (m) return m[1]!;
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return address;
  const [hi, lo] = [parseInt(hex[1]!, 16), parseInt(hex[2]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** Why an address may not be dialled (undefined: it may). `allowPrivate`: PAAS_WEBHOOKS_ALLOW_PRIVATE for hooks, PAAS_GIT_SOURCES_ALLOW_PRIVATE for source fetches. */
export function refusedAddress(raw: string, allowPrivate: boolean): string | undefined {
  const address = unmapped(raw);
  const family = net.isIPv4(address) ? 'ipv4' : net.isIPv6(address) ? 'ipv6' : undefined;
  if (!family) return `${raw.slice(0, 60)} is not an IP address`;
  if (METADATA.check(address, family)) return `${address} is a cloud metadata address`;
  if (family === 'ipv4' && (address === '0.0.0.0' || address === '255.255.255.255')) return `${address} is not a host address`;
  if (family === 'ipv6' && address === '::') return `${address} is not a host address`;
  if (!allowPrivate && NON_PUBLIC.check(address, family)) return `${address} is not a public address (loopback, private, link-local or reserved)`;
  return undefined;
}

/** Checks a URL's form (http/https, no credentials, not overlong, a host); returns the parsed URL. */
export function parseWebhookUrl(raw: unknown): URL {
  if (typeof raw !== 'string' || raw.trim() === '') throw new PaasError('E_HOOK_URL_INVALID', 'Give the receiver as an http:// or https:// URL');
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) throw new PaasError('E_HOOK_URL_INVALID', `The URL is longer than ${MAX_WEBHOOK_URL_LENGTH} characters`);
  if (/[\s\x00-\x1f\x7f]/.test(raw)) throw new PaasError('E_HOOK_URL_INVALID', 'The URL holds spaces or control characters');
  let url: URL;
  try { url = new URL(raw); } catch { throw new PaasError('E_HOOK_URL_INVALID', 'That is not a URL; give the receiver as an http:// or https:// URL'); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new PaasError('E_HOOK_URL_INVALID', `Only http:// and https:// URLs can receive webhooks, not ${url.protocol.slice(0, 20)}`);
  if (url.username || url.password) throw new PaasError('E_HOOK_URL_INVALID', 'The URL may not hold a user name or password; verify deliveries by their signature instead');
  if (!url.hostname) throw new PaasError('E_HOOK_URL_INVALID', 'The URL has no host');
  url.hash = '';
  return url;
}

/** The URL's host as an IP literal (brackets removed), or undefined when it is a name. */
export function literalAddress(url: URL): string | undefined {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return net.isIP(host) ? host : undefined;
}

/** Resolves the host and refuses it when any of its addresses may not be dialled (E_HOOK_URL_REFUSED). */
export async function checkTarget(url: URL, allowPrivate: boolean): Promise<void> {
  const literal = literalAddress(url);
  let addresses: string[];
  if (literal) addresses = [literal];
  else {
    try { addresses = (await dns.lookup(url.hostname, { all: true, verbatim: true })).map((a) => a.address); }
    catch { throw new PaasError('E_HOOK_URL_INVALID', `The host ${url.hostname.slice(0, 100)} does not resolve`); }
  }
  for (const a of addresses) {
    const why = refusedAddress(a, allowPrivate);
    if (why) throw new PaasError('E_HOOK_URL_REFUSED', `Webhooks cannot be sent to ${url.hostname.slice(0, 100)}: ${why}`);
  }
}
