// core/app-env.ts — the base environment every app process starts from (build steps, the release phase and the
// Procfile processes in the embedded mode); the controller builds it once and hands it to the local drivers.
import type { Config } from './config.ts';

/** The PATH an app gets when the platform itself has none. */
export const defaultPath = '/usr/local/bin:/usr/bin:/bin';

/**
 * The platform-owned base of an app process's environment: the host's PATH and HOME, and a UTF-8 locale.
 * Nothing else of the platform's own environment (secrets, DATABASE_URL) reaches an app.
 */
export function appBaseEnv(host: Config['hostEnv']): Record<string, string> {
  return { PATH: host.PATH, HOME: host.HOME, LANG: 'C.UTF-8' };
}
