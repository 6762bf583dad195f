// services/one-off.ts — what `run APP CMD…` runs: the live release's code in the app's environment, and the command
// line made from the words given (as Heroku's CLI joins them). The CLI's run command uses it; the runner is the mode's.
import type { Knex } from 'knex';
import type { AppRow } from '../core/access.ts';
import type { Config } from '../core/config.ts';
import { PaasError } from '../core/errors.ts';
import type { ReleaseSpec } from '../runtime/types.ts';
import { liveSpec } from './release-spec.ts';

/**
 * The live release with the app's stored config: config set with --no-restart is seen by `run` (Dokku's rule), so
 * `config:set --no-restart` then `run APP migrate` then `ps:restart` works. Platform vars (APP_NAME…) stay.
 */
export async function oneOffSpec(db: Knex, config: Config, app: AppRow): Promise<ReleaseSpec> {
  const spec = await liveSpec(db, config, app, []);
  if (!spec) throw new PaasError('E_NO_RELEASE', `${app.name} has no release yet: git push first`);
  const released = spec.config ?? {};
  const platform = Object.entries(spec.env).filter(([k, v]) => released[k] !== v);
  return { ...spec, config: app.config, env: { ...app.config, ...Object.fromEntries(platform) } };
}

/**
 * The shell command line of `run APP word…`, as Heroku's CLI makes it: one word is the line itself (`run APP "rake
 * test"`); several are joined with spaces, each holding a space or a `"` wrapped in double quotes. The line runs
 * with `/bin/sh -c` in the app's sandbox, as its Procfile commands do.
 */
export function toCommandLine(words: string[]): string {
  if (words.length === 1) return words[0]!;
  return words.map((w) => (/[\s"]/.test(w) ? `"${w.replace(/(["\\$`])/g, '\\$1')}"` : w)).join(' ');
}
