// services/time-ago.ts — a date as a short relative time ("3m ago"), the same in the CLI's tables and the dashboard.

/** Formats a date as a short relative time ("3 minutes ago"). */
export function ago(d: Date | string | null | undefined): string {
  if (!d) return 'never';
  const s = Math.max(0, Math.round((Date.now() - new Date(d).getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}
