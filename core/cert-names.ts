// core/cert-names.ts — which hosts a certificate may be served or ordered for: the name matching of an uploaded
// certificate (exact or one-label wildcard) and ACME eligibility. Pure; used by services/certs.ts, runtime/acme.ts
// and controller/certificates.ts. Part of the security boundary that keeps one app's certificate off another's hosts.
import { isIpLiteral } from './hostnames.ts';

/** Lowercases and drops one trailing dot, as DNS compares names. */
function norm(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * True when a certificate naming `names` is valid for `host`: an exact name, or `*.parent` where host is exactly one
 * label under parent (RFC 6125: `*.example.com` covers `a.example.com`, not `example.com` nor `a.b.example.com`).
 */
export function namesCover(names: readonly string[], host: string): boolean {
  const h = norm(host);
  return names.map(norm).some((n) => {
    if (!n.startsWith('*.')) return n === h;
    const parent = n.slice(2);
    if (!h.endsWith(`.${parent}`)) return false;
    const label = h.slice(0, -parent.length - 1);
    return label.length > 0 && !label.includes('.');
  });
}

/** Whether a public ACME CA could issue for a host, and why not when it cannot (shown beside the host). */
export type AcmeEligibility = { eligible: true } | { eligible: false; reason: string };

/**
 * A public CA issues only for public DNS names: not IP literals, not `localhost` or names under it, not single-label
 * names, not wildcards (HTTP-01 cannot prove a wildcard). Such hosts are skipped, never ordered.
 */
export function acmeEligibility(rawHost: string): AcmeEligibility {
  const host = norm(rawHost);
  if (host === '') return { eligible: false, reason: 'no host name' };
  if (host.includes('*')) return { eligible: false, reason: 'a wildcard name cannot be proven over HTTP-01; upload a certificate for it' };
  if (isIpLiteral(host)) return { eligible: false, reason: 'an IP address gets no certificate from a public CA' };
  if (host === 'localhost' || host.endsWith('.localhost')) return { eligible: false, reason: 'localhost names are local to each machine; no public CA issues for them' };
  if (!host.includes('.')) return { eligible: false, reason: 'a single-label name is not a public DNS name' };
  if (!/^[a-z0-9.-]+$/.test(host) || host.length > 253) return { eligible: false, reason: 'not a valid DNS name' };
  return { eligible: true };
}
