// runtime/boot-error.ts — the error a deploy or scale-up throws when a new web process never comes up; the push output renders its lastLines.
import { PaasError } from '../core/errors.ts';

/**
 * E_RELEASE_BOOT_FAILED with the failing process's last output lines (about 20),
 * so the push can show the user why their app did not start.
 */
export class ReleaseBootError extends PaasError {
  readonly lastLines: string[];

  constructor(message: string, lastLines: string[], options?: { cause?: unknown }) {
    super('E_RELEASE_BOOT_FAILED', message, options);
    this.name = 'ReleaseBootError';
    this.lastLines = lastLines;
  }
}
