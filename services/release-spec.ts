// services/release-spec.ts — what a release runs as: the app's public URL and the runtime spec of a release (its
// build's slug or image, process types, formation, env with app.json's defaults, startup checks, HTTPS edge). The
// deployer, the controller's restore and domain updates, the CLI's `manifests` and the faces' app URLs read them here.
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import type { ReleaseEdge, ReleaseSpec } from '../runtime/types.ts';
import { listDomains } from './apps.ts';
import { appEdge, hostHasCertificate } from './https-edge.ts';
import type { BuildRow } from './builds.ts';
import { appJsonFormation, quantityOf } from './formation.ts';
import type { ReleaseRow } from './releases.ts';
import { planMemoryMb } from './quotas.ts';

/** The public URL of an app's web process: the router's port locally; the Ingress (https with TLS) in Kubernetes mode. */
export function appUrl(config: Config, app: string): string {
  if (config.mode === 'kubernetes') return `${config.tlsIssuer ? 'https' : 'http'}://${app}.${config.baseDomain}/`;
  return `http://${app}.${config.baseDomain}:${config.endpoints.routerPort}/`;
}

/**
 * The URL a push's last line names: https (with the router's TLS port unless 443) once the router serves HTTPS and
 * `<app>.<base domain>` has an issued or uploaded certificate (in Kubernetes mode: an upload covers it); else appUrl.
 */
export async function liveAppUrl(db: Knex, config: Config, app: AppRow): Promise<string> {
  const plain = appUrl(config, app.name);
  if (plain.startsWith('https:')) return plain;
  const tlsPort = config.edge === 'router' ? config.endpoints.routerTlsPort : 443;
  if (tlsPort === undefined || !(await hostHasCertificate(db, config.baseDomain, app))) return plain;
  return `https://${app.name}.${config.baseDomain}${tlsPort === 443 ? '' : `:${tlsPort}`}/`;
}

/** Builds the runtime spec of a release: its build's slug or image and process types, with the app's formation, edge and plan memory. */
export function releaseSpec(config: Config, app: AppRow, release: ReleaseRow, build: BuildRow, domains: string[] = [], edge?: ReleaseEdge, memoryMb?: number): ReleaseSpec {
  const types = Object.entries(build.process_types ?? {}).filter(([type]) => type !== 'release');
  return {
    app: app.name, version: release.version, slugDir: build.slug_dir ?? '', pathPrepend: build.path_prepend ?? [], uid: app.uid,
    env: { ...appJsonDefaults(build), ...release.config, APP_NAME: app.name, RELEASE_VERSION: `v${release.version}`, PAAS_APP_URL: appUrl(config, app.name) },
    processes: types.map(([type, command]) => {
      const autoscale = app.autoscaling?.[type];
      return { type, command, quantity: quantityOf(type, app.formation, appJsonFormation(build)), ...(autoscale ? { autoscale } : {}) };
    }),
    config: release.config, image: build.image ?? undefined, domains, ...(edge ? { edge } : {}), ...(memoryMb ? { memoryMb } : {}),
    ...checksOf(build),
  };
}

/** app.json's web checks: startup ones (the deploy gate, every mode) apart from readiness and liveness ones (Kubernetes probes). */
function checksOf(build: BuildRow): Pick<ReleaseSpec, 'healthchecks' | 'probes'> {
  const all = build.app_json?.healthchecks ?? [];
  const startup = all.filter((c) => c.type === undefined);
  const probes = all.filter((c) => c.type !== undefined);
  return { ...(startup.length ? { healthchecks: startup } : {}), ...(probes.length ? { probes } : {}) };
}

/** app.json's env `value`s: defaults for keys the release's config lacks (config:set wins, as on Heroku). */
function appJsonDefaults(build: BuildRow): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const [key, entry] of Object.entries(build.app_json?.env ?? {})) if (entry.value !== undefined) defaults[key] = entry.value;
  return defaults;
}

/** The spec of the app's live release with its domains (read unless given) and edge; undefined before its first deploy. */
export async function liveSpec(db: Knex, config: Config, app: AppRow, domains?: string[]): Promise<ReleaseSpec | undefined> {
  if (!app.current_release_id) return undefined;
  const release = (await db('releases').where({ id: app.current_release_id }).first()) as ReleaseRow | undefined;
  const build = release?.build_id ? ((await db('builds').where({ id: release.build_id }).first()) as BuildRow | undefined) : undefined;
  if (!release || !build) return undefined;
  const hosts = domains ?? await listDomains(db, app.id);
  return releaseSpec(config, app, release, build, hosts, await appEdge(db, config.baseDomain, app, hosts), await planMemoryMb(db, app.id));
}
