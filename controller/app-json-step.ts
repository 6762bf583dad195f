// controller/app-json-step.ts — the push's app.json step, before any build driver runs (so every mode behaves the
// same): reads and validates it, prints its notices, and refuses the push when a required config var is missing.
import { PaasError } from '../core/errors.ts';
import type { Say } from '../core/say.ts';
import { missingRequiredEnv, parseAppJson } from '../builders/app-json.ts';
import { readAppJson } from '../builders/app-json-source.ts';
import type { AppJson } from '../builders/app-json-types.ts';

/**
 * The push's validated app.json, or null when the tree has none. Throws E_APP_JSON_INVALID (bad file) or
 * E_APP_JSON_ENV_MISSING (a required var without a default the app's config lacks), so nothing is built or deployed.
 */
export async function appJsonOfPush(archivePath: string, app: string, config: Record<string, string>, say: Say): Promise<AppJson | null> {
  const text = await readAppJson(archivePath);
  if (text === undefined) return null;
  const { appJson, notices } = parseAppJson(text);
  notices.forEach((notice, i) => say(i === 0 ? `-----> app.json: ${notice}` : `       ${notice}`));
  const missing = missingRequiredEnv(appJson, config);
  if (missing.length) {
    throw new PaasError('E_APP_JSON_ENV_MISSING', missing.map(({ key, description }) =>
      `app.json requires ${key}${description ? ` (${oneLine(description)})` : ''}: config:set ${app} ${key}=…`).join('\n'));
  }
  return appJson;
}

/** A description as one bounded line (it is the pusher's text, printed in the push). */
function oneLine(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}
