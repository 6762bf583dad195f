// builders/app-json-types.ts — the shape of an app's app.json once validated (builders/app-json.ts parses it), as
// builds.app_json keeps it; read by the deployer (scripts, healthchecks), release-spec (env, formation) and ps:scale.
import type { StartupCheck } from '../runtime/types.ts';

/** One app.json `env` entry: a default value, and whether the push fails without one. */
export interface AppJsonEnvVar {
  description?: string;
  value?: string;
  required: boolean;
}

/** The parts of app.json (Heroku's and Dokku's) the platform acts on; everything else is ignored with a notice. */
export interface AppJson {
  /** `formation.<type>.quantity`: applied on every deploy; when any is given, ps:scale is refused (Dokku's rule). */
  formation?: Record<string, number>;
  scripts?: {
    /** Dokku's `scripts.dokku.predeploy`: after the build, before the new release starts (as the release phase). */
    predeploy?: string;
    /** Dokku's `scripts.dokku.postdeploy`: after every successful deploy. */
    postdeploy?: string;
    /** Heroku's `scripts.postdeploy`: after the app's first successful deploy only. */
    firstDeploy?: string;
  };
  /** `healthchecks.web` entries of type startup (the deploy gate of web). */
  healthchecks?: StartupCheck[];
  env?: Record<string, AppJsonEnvVar>;
}
