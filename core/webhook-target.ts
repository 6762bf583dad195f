// core/webhook-target.ts — the SECURITY BOUNDARY of outgoing webhooks (SSRF): which URLs a tenant may register and
// which addresses the sender may connect to. Used at registration (services/webhooks.ts) and again at each send
// (controller/webhook-send.ts, on the address actually dialled, so DNS rebinding gains nothing).
import dns from 'node:dns/promises';
import net from 'node:net';
import { PaasError } from './errors.ts';

/** The longest URL a hook may have. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Cloud credential endpoints: refused even when private targets are allowed (they hand out the host's or the pod's
 * credentials). AWS IMDS (v4 and v6), ECS task credentials, EKS Pod Identity (v4 and v6), Alibaba's metadata, and
 * Azure's wireserver, which is a public address and so is refused in the default mode too.
 */
const METADATA = new net.BlockList();
for (const a of ['169.254.169.254', '169.254.170.2', '169.254.170.23', '100.100.100.200', '168.63.129.16']) METADATA.addAddress(a, 'ipv4');
for (const a of ['fd00:ec2::254', 'fd00:ec2::23']) METADATA.addAddress(a, 'ipv6');

/**
 * Anything that is not the public Internet: loopback, private, link-local, CGNAT, documentation, multicast, reserved.
 * Prefixes that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that address (embeddedIPv4).
 */
const NON_PUBLIC = new net.BlockList();
for (const [net4, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) NON_PUBLIC.addSubnet(net4, bits, 'ipv4');
for (const [net6, bits] of [['::', 128], ['::1', 128], ['64:ff9b:1::', 48], ['100::', 64], ['2001:db8::', 32],
  ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8]] as const) NON_PUBLIC.addSubnet(net6, bits, 'ipv6');

/** The sixteen bytes of an IPv6 address (a trailing dotted quad too); the caller has checked it with net.isIPv6. */
function bytes6(address: string): number[] {
  let text = address.replace(/%.*$/, '');
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') as [string, string] : [text, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':') : []).map((g) => parseInt(g, 16));
  const h = groups(head);
  const t = groups(tail);
  const words = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill(0), ...t];
  return words.flatMap((w) => [w >> 8, w & 255]);
}

const v4 = (b: number[], at: number[]) => at.map((i) => b[i]).join('.');
const startsWith = (b: number[], prefix: number[]) => prefix.every((x, i) => b[i] === x);
const ZERO10 = Array(10).fill(0);
const LOCAL_NAT64 = [0, 0x64, 0xff, 0x9b, 0, 1];
/** RFC 6052: where a NAT64 prefix of 48, 56, 64 and 96 bits puts the IPv4 address (byte 8 is always skipped). */
const NAT64_AT = [[6, 7, 9, 10], [7, 9, 10, 11], [9, 10, 11, 12], [12, 13, 14, 15]];

/**
 * The IPv4 addresses an IPv6 address stands for: IPv4-mapped (::ffff:0:0/96) and -compatible (::/96), NAT64
 * (64:ff9b::/96), and 6to4 (2002::/16). Empty for any other address, and for :: and ::1 themselves.
 */
export function embeddedIPv4(address: string): string[] {
  if (!net.isIPv6(address)) return [];
  const b = bytes6(address);
  if (startsWith(b, [...ZERO10, 255, 255])) return [v4(b, [12, 13, 14, 15])];
  if (startsWith(b, [...ZERO10, 0, 0])) return b[12] || b[13] || b[14] || b[15]! > 1 ? [v4(b, [12, 13, 14, 15])] : [];
  if (startsWith(b, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return [v4(b, [12, 13, 14, 15])];
  if (startsWith(b, [0x20, 0x02])) return [v4(b, [2, 3, 4, 5])];
  return [];
}

/** Why an address may not be dialled (undefined: it may). `allowPrivate`: PAAS_WEBHOOKS_ALLOW_PRIVATE for hooks, PAAS_GIT_SOURCES_ALLOW_PRIVATE for source fetches. */
export function refusedAddress(raw: string, allowPrivate: boolean): string | undefined {
  const family = net.isIPv4(raw) ? 'ipv4' : net.isIPv6(raw) ? 'ipv6' : undefined;
  if (!family) return `${raw.slice(0, 60)} is not an IP address`;
  for (const inner of embeddedIPv4(raw)) {
    const why = refusedAddress(inner, allowPrivate);
    if (why) return why.replace(inner, `${inner} (in ${raw.slice(0, 60)})`);
  }
  // Local-use NAT64 (64:ff9b:1::/48, non-public itself) may put the IPv4 address at any RFC 6052 position.
  const local = family === 'ipv6' && startsWith(bytes6(raw), LOCAL_NAT64) ? NAT64_AT.map((at) => v4(bytes6(raw), at)) : [];
  const hidden = local.find((inner) => METADATA.check(inner, 'ipv4'));
  if (hidden) return `${hidden} (in ${raw.slice(0, 60)}) is a cloud metadata address`;
  if (METADATA.check(raw, family)) return `${raw} is a cloud metadata address`;
  if (family === 'ipv4' && (raw === '0.0.0.0' || raw === '255.255.255.255')) return `${raw} is not a host address`;
  if (family === 'ipv6' && bytes6(raw).every((x) => x === 0)) return `${raw} is not a host address`;
  if (!allowPrivate && NON_PUBLIC.check(raw, family)) return `${raw} is not a public address (loopback, private, link-local or reserved)`;
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
