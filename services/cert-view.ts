// services/cert-view.ts — an app's certificates as the faces word them (the `certs` command, the API's `reason`, the
// dashboard's domains page): each host's source and state in one line, and why a host has no HTTPS. Pure.
import type { Config } from '../core/config.ts';
import type { AppCertificates, HostCertificate } from './certs.ts';

/** One host as shown: where its certificate comes from and its state, in words. */
export interface HostCertView {
  host: string;
  /** 'acme', 'uploaded', or '-' (none). */
  source: string;
  /** 'pending' | 'issued' | 'failed' | 'none': for styling. */
  kind: HostCertificate['state'];
  /** e.g. "issued, expires 2027-02-01", "failed: <reason>", "none: not eligible for ACME: …". */
  state: string;
  expiresAt?: string;
}

/** What the edge can do at all, for the line above the table (undefined when HTTPS is served). */
export function httpsUnavailable(config: Pick<Config, 'edge' | 'endpoints' | 'tlsIssuer'>): string | undefined {
  if (config.edge === 'ingress') return undefined;
  return config.endpoints.routerTlsPort === undefined ? 'no HTTPS port (PAAS_ROUTER_TLS_PORT unset): apps are served over HTTP only' : undefined;
}

/** Why a host without a certificate has none, as the mode and settings say. */
function noneReason(h: HostCertificate, config: Pick<Config, 'edge' | 'endpoints' | 'tlsIssuer'>): string {
  if (config.edge === 'ingress') return config.tlsIssuer ? `cert-manager (${config.tlsIssuer}) issues it in the cluster` : 'no TLS: PAAS_TLS_ISSUER is unset and no certificate covers it';
  if (config.endpoints.routerTlsPort === undefined) return 'no HTTPS port (PAAS_ROUTER_TLS_PORT unset)';
  return (h.note ?? 'no certificate yet').replace(/^no automatic certificate: /, 'not eligible for ACME: ');
}

/** The date part of an ISO time (certificates are shown to the day). */
function day(d: Date | string | undefined): string | undefined {
  return d === undefined ? undefined : new Date(d).toISOString().slice(0, 10);
}

/** Each host of the app in words. */
export function hostCertViews(list: AppCertificates, config: Pick<Config, 'edge' | 'endpoints' | 'tlsIssuer'>): HostCertView[] {
  return list.hosts.map((h) => {
    const source = h.source === 'upload' ? 'uploaded' : h.source ?? '-';
    const expires = day(h.expiresAt);
    const state = h.state === 'issued' ? `issued, expires ${expires}`
      : h.state === 'failed' ? `failed: ${h.error ?? 'unknown reason'}`
        : h.state === 'pending' ? 'pending' : `none: ${noneReason(h, config)}`;
    return { host: h.host, source, kind: h.state, state, ...(expires ? { expiresAt: expires } : {}) };
  });
}

/** 'on' | 'off' → boolean; anything else is undefined (the caller refuses it with its usage). */
export function parseOnOff(value: string | undefined): boolean | undefined {
  return value === 'on' ? true : value === 'off' ? false : undefined;
}
