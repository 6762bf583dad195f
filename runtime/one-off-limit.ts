// runtime/one-off-limit.ts — caps how many one-off processes (`run`) each app runs at once through one runner
// (per platform process); runtime/select.ts wraps every mode's runner in it.
import { PaasError } from '../core/errors.ts';
import type { OneOffInput, OneOffRunner } from './types.ts';

/** A runner that refuses (E_RUN_LIMIT) a one-off beyond `max` running for the same app; the count drops as each ends. */
export function limitOneOffs(inner: OneOffRunner, max: number): OneOffRunner {
  const running = new Map<string, number>();
  return {
    async runOneOff(input: OneOffInput): Promise<number> {
      const app = input.spec.app;
      const now = running.get(app) ?? 0;
      if (now >= max) throw new PaasError('E_RUN_LIMIT', `${app} already runs ${now} one-off process${now === 1 ? '' : 'es'}, as many as it may at once (PAAS_RUN_MAX_PER_APP=${max}); wait for one to end`);
      running.set(app, now + 1);
      try {
        return await inner.runOneOff(input);
      } finally {
        const left = (running.get(app) ?? 1) - 1;
        if (left > 0) running.set(app, left); else running.delete(app);
      }
    },
  };
}
