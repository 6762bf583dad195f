// cli/review-apps.ts — review-apps commands: turn review apps on or off for an app, set their expiry and config
// overrides, and list them (services/review-apps.ts).
import { formatExpiry, parseExpiry } from '../core/review-names.ts';
import { appUrl } from '../services/release-spec.ts';
import { getReviewSettings, updateReviewSettings, type ReviewSettings } from '../services/review-apps.ts';
import { flag, need, table, type CommandContext, type Command } from './types.ts';

function printSettings(ctx: CommandContext, s: ReviewSettings): void {
  ctx.out(`=== ${s.app} Review Apps`);
  table([
    ['Enabled:', s.enabled ? 'yes' : `no (turn on: review-apps:enable ${s.app})`],
    ['Expire after:', `${formatExpiry(s.expireSeconds)} without a push`],
    ['Overrides:', Object.keys(s.config).sort().map((k) => `${k}=${s.config[k]}`).join(' ') || '-'],
  ]).forEach(ctx.out);
  if (!s.reviewApps.length) { ctx.out(s.enabled ? `No review apps yet. Push a branch: git push <remote> my-branch` : 'No review apps.'); return; }
  ctx.out('');
  table([['APP', 'BRANCH', 'URL', 'EXPIRES'], ...s.reviewApps.map((r) => [
    r.name, r.branch, r.live ? appUrl(ctx.config, r.name) : '(not deployed)', r.expiresAt ? r.expiresAt.toISOString() : 'never',
  ])]).forEach(ctx.out);
}

export const reviewAppCommands: Command[] = [
  {
    name: 'review-apps', args: 'APP', summary: "Show an app's review-app settings and its review apps (one per pushed branch)",
    async run(ctx, args) {
      printSettings(ctx, await getReviewSettings(ctx.db, ctx.actor, need(args, 0, 'APP', 'review-apps APP')));
    },
  },
  {
    name: 'review-apps:enable', args: 'APP [--expire 7d|never]',
    summary: 'Turn review apps on: a push of any other branch than the deploy branch deploys APP-<branch>; --expire: destroy those not pushed to for that long (default 7d)',
    flags: { expire: { type: 'string' } },
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'review-apps:enable APP [--expire 7d|never]');
      const raw = flag(args, 'expire');
      const s = await updateReviewSettings(ctx.db, ctx.actor, name, { enabled: true, ...(raw !== undefined ? { expireSeconds: parseExpiry(raw) } : {}) });
      ctx.out(`Review apps enabled for ${s.app}; they expire after ${formatExpiry(s.expireSeconds)} without a push`);
    },
  },
  {
    name: 'review-apps:disable', args: 'APP', summary: 'Turn review apps off; destroys the existing review apps',
    async run(ctx, args) {
      const s = await updateReviewSettings(ctx.db, ctx.actor, need(args, 0, 'APP', 'review-apps:disable APP'), { enabled: false });
      ctx.out(`Review apps disabled for ${s.app}${s.destroyed.length ? `; destroyed ${s.destroyed.join(', ')}` : ''}`);
    },
  },
  {
    name: 'review-apps:config:set', args: 'APP KEY=VALUE…', summary: "Set config vars review apps get over the parent's (at their creation)",
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'review-apps:config:set APP KEY=VALUE…');
      const s = await updateReviewSettings(ctx.db, ctx.actor, name, { set: args.positional.slice(1) });
      ctx.out(`Review-app overrides of ${s.app}: ${Object.keys(s.config).sort().join(', ') || 'none'}`);
    },
  },
  {
    name: 'review-apps:config:unset', args: 'APP KEY…', summary: 'Remove review-app config overrides',
    async run(ctx, args) {
      const name = need(args, 0, 'APP', 'review-apps:config:unset APP KEY…');
      need(args, 1, 'KEY', 'review-apps:config:unset APP KEY…');
      const s = await updateReviewSettings(ctx.db, ctx.actor, name, { unset: args.positional.slice(1) });
      ctx.out(`Review-app overrides of ${s.app}: ${Object.keys(s.config).sort().join(', ') || 'none'}`);
    },
  },
];
