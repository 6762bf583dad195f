// services/release-spec.ts — what a release runs as: the app's public URL and the runtime spec of a release
// (its build's slug or image, process types, formation, env). The deployer, the controller's restore and domain
// updates, the CLI's `manifests` and the faces' app URLs all read them from here.
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import type { ReleaseSpec } from '../runtime/types.ts';
import { listDomains } from './apps.ts';
import type { BuildRow } from './builds.ts';
import type { ReleaseRow } from './releases.ts';

/** The public URL of an app's web process: the router's port locally; the Ingress (https with TLS) in Kubernetes mode. */
export function appUrl(config: Config, app: string): string {
  if (config.mode === 'kubernetes') return `${config.tlsIssuer ? 'https' : 'http'}://${app}.${config.baseDomain}/`;
  return `http://${app}.${config.baseDomain}:${config.endpoints.routerPort}/`;
}

/** Builds the runtime spec of a release: its build's slug or image and process types, with the app's formation. */
export function releaseSpec(config: Config, app: AppRow, release: ReleaseRow, build: BuildRow, domains: string[] = []): ReleaseSpec {
  const types = Object.entries(build.process_types ?? {}).filter(([type]) => type !== 'release');
  return {
    app: app.name, version: release.version, slugDir: build.slug_dir ?? '', pathPrepend: build.path_prepend ?? [], uid: app.uid,
    env: { ...release.config, APP_NAME: app.name, RELEASE_VERSION: `v${release.version}`, PAAS_APP_URL: appUrl(config, app.name) },
    processes: types.map(([type, command]) => ({ type, command, quantity: app.formation[type] ?? 1 })),
    config: release.config, image: build.image ?? undefined, domains,
  };
}

/** The spec of the app's live release with its domains (read unless given); undefined before its first deploy. */
export async function liveSpec(db: Knex, config: Config, app: AppRow, domains?: string[]): Promise<ReleaseSpec | undefined> {
  if (!app.current_release_id) return undefined;
  const release = (await db('releases').where({ id: app.current_release_id }).first()) as ReleaseRow | undefined;
  const build = release?.build_id ? ((await db('builds').where({ id: release.build_id }).first()) as BuildRow | undefined) : undefined;
  return release && build ? releaseSpec(config, app, release, build, domains ?? await listDomains(db, app.id)) : undefined;
}
