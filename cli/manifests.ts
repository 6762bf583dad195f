// cli/manifests.ts — `manifests APP`: the Kubernetes objects the controller would apply for the app's
// current release, as multi-document YAML, validated first. Works in either mode; in the embedded mode the image
// is `$PAAS_REGISTRY/<app>:<build>`, the tag a Kubernetes build would push.
import { appForActor } from '../core/access.ts';
import { PaasError } from '../core/errors.ts';
import { listDomains } from '../services/apps.ts';
import type { BuildRow } from '../services/builds.ts';
import { appEdge } from '../services/https-edge.ts';
import { planMemoryMb } from '../services/quotas.ts';
import { releaseSpec } from '../services/release-spec.ts';
import { currentRelease } from '../services/releases.ts';
import { kubernetesManifests, type KubeObject } from '../runtime/reader.ts';
import { need, type Command } from './types.ts';

/** Multi-document YAML, one document per object, in apply order (YAML loads only when the command runs). */
export async function toYamlDocuments(objs: KubeObject[]): Promise<string[]> {
  const { default: YAML } = await import('yaml');
  return objs.flatMap((o) => ['---', ...YAML.stringify(o, { lineWidth: 0 }).trimEnd().split('\n')]);
}

export const manifestCommands: Command[] = [
  {
    name: 'manifests', args: 'APP', summary: 'Print the Kubernetes objects the controller would apply, as YAML',
    async run(ctx, args) {
      const app = await appForActor(ctx.db, ctx.actor, need(args, 0, 'APP', 'manifests APP'));
      const release = await currentRelease(ctx.db, app);
      if (!release?.build_id) throw new PaasError('E_NO_RELEASE', `${app.name} has no release yet: git push first`);
      const build = (await ctx.db('builds').where({ id: release.build_id }).first()) as BuildRow;
      // Rendered as Kubernetes mode would, whichever mode runs now (the app's URL is the Ingress's, not the router's).
      const config = { ...ctx.config, mode: 'kubernetes' as const };
      const domains = await listDomains(ctx.db, app.id);
      const spec = releaseSpec(config, app, release, build, domains, await appEdge(ctx.db, config.baseDomain, app, domains), await planMemoryMb(ctx.db, app.id));
      const { objects, pullSecret } = await kubernetesManifests(config, spec, build.number);
      ctx.out(`# ${app.name} v${release.version}: the objects the controller applies (server-side apply, field manager paas-controller)`);
      if (spec.edge?.uploaded) ctx.out(`# Secret uploaded-tls holds ${app.name}'s uploaded certificate; its private key (tls.key) is never printed`);
      if (config.registryPullSecret) ctx.out(`# plus Secret ${pullSecret}, a copy of ${config.namespace}/${config.registryPullSecret} (credentials, not shown)`);
      (await toYamlDocuments(objects)).forEach(ctx.out);
    },
  },
];
