// runtime/local/release-process.ts — where a process of a release that is not a Procfile daemon runs in the embedded
// mode: the release phase (driver.ts) and one-off `run` processes (one-off.ts). Same sandbox and env as a dyno, no PORT.
import type { BuildContext, LaunchRequest } from '../../builders/run-step.ts';
import type { Jail } from './jail.ts';
import { toProcessEnv } from './process-policy.ts';
import type { ReleaseSpec } from '../types.ts';

/**
 * The release's slug dir, env (DYNO = `dyno`, no PORT: it serves nothing, as on Heroku) and, in sandbox mode, the
 * launcher that starts it in the app's sandbox as the app's uid with the slug at /app. Adopts a slug built before
 * sandboxes (root's) first.
 */
export async function releaseProcessContext(jail: Jail, baseEnv: Record<string, string>, spec: ReleaseSpec, dyno: string): Promise<Omit<BuildContext, 'say'>> {
  await jail.adopt(spec.slugDir, spec.uid);
  const env = toProcessEnv(baseEnv, { ...spec, slugDir: jail.appRoot(spec.slugDir) }, dyno, undefined);
  // The plan's memory per process, when it sets one, for the release phase and one-off processes too.
  const launcher = (req: LaunchRequest) => jail.plan(spec.memoryMb ? { ...req, memoryMb: spec.memoryMb } : req);
  const sandbox = jail.sandboxed ? { launcher, app: spec.app, uid: spec.uid } : undefined;
  return { srcDir: spec.slugDir, env, sandbox };
}
