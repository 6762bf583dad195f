// core/env-numbers.ts — numbers from the environment, checked at boot: a bad value is refused, naming its variable,
// never silently replaced by the default. Used by core/config.ts and core/git-limits.ts.

/** A whole number of at least `min` (1 unless given) and at most `max`, or the fallback when unset. */
export function wholeNumber(name: string, raw: string | undefined, fallback: number, min = 1, max = Infinity): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number >= ${min}, got "${raw}"`);
  if (n > max) throw new Error(`${name} must be at most ${max}, got "${raw}"`);
  return n;
}

/** A positive number, fractions allowed (tests ask for 0.5 s), or the fallback when unset. */
export function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return n;
}
