// core/review-names.ts — the names of review apps and the expiry users type; pure. A branch name is whatever git
// allows (unicode, slashes, 250 bytes), so this is the security boundary between a branch and an app name: every
// candidate it returns passes core/names.ts's app-name rule.
import crypto from 'node:crypto';
import { PaasError } from './errors.ts';
import { parseAppName } from './names.ts';

/** The longest app name (a DNS label). */
export const MAX_APP_NAME = 63;

/** A branch as a name part: lower-case, runs of anything but [a-z0-9] become one dash, no dash at either end. */
export function toBranchSlug(branch: string): string {
  return branch.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}

/** A short hash of the branch (hex), which keeps two branches with the same slug (or a cut one) apart. */
export function branchHash(branch: string, length: number): string {
  return crypto.createHash('sha256').update(branch, 'utf8').digest('hex').slice(0, length);
}

function withSuffix(base: string, suffix: string): string {
  const room = MAX_APP_NAME - suffix.length - 1;
  return `${base.slice(0, room).replace(/-+$/, '')}-${suffix}`;
}

/**
 * The names a review app of `parent` for `branch` may take, best first: `<parent>-<slug>` when it fits (and the
 * slug is not empty), then with a 6- and a 10-character hash of the branch, cut to fit. The caller takes the first
 * that is free (or already this branch's review app).
 */
export function reviewAppNames(parent: string, branch: string): string[] {
  const slug = toBranchSlug(branch);
  const plain = slug ? `${parent}-${slug}` : '';
  const base = plain || parent;
  const names = [
    ...(plain && plain.length <= MAX_APP_NAME ? [plain] : []),
    withSuffix(base, branchHash(branch, 6)),
    withSuffix(base, branchHash(branch, 10)),
  ];
  return [...new Set(names)].map((n) => parseAppName(n));
}

const UNITS: Record<string, number> = { m: 60, h: 3600, d: 86_400, w: 7 * 86_400 };
export const MIN_EXPIRY_SECONDS = 3600;
export const MAX_EXPIRY_SECONDS = 365 * 86_400;

/** `--expire`: `never`, or a count with m, h, d or w between 1h and 365d; returns seconds (null = never). */
export function parseExpiry(raw: string): number | null {
  const text = raw.trim().toLowerCase();
  if (text === 'never') return null;
  const m = /^([0-9]{1,6})([mhdw])$/.exec(text);
  const seconds = m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  if (!(seconds >= MIN_EXPIRY_SECONDS && seconds <= MAX_EXPIRY_SECONDS)) {
    throw new PaasError('E_REVIEW_EXPIRY_INVALID', `"${raw.slice(0, 40)}" is not an expiry: use never, or a duration between 1h and 365d such as 12h, 7d or 2w`);
  }
  return seconds;
}

/** Seconds as a duration users type (7d, 36h, 90m), in whole days when it is, or never. */
export function formatExpiry(seconds: number | null): string {
  if (seconds === null) return 'never';
  for (const [unit, size] of [['d', UNITS.d!], ['h', UNITS.h!]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${Math.round(seconds / 60)}m`;
}
