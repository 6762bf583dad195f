// cli/sign-in.ts — how users sign in to the dashboard (admins over SSH, and the local operator): the configured
// providers with their redirect URIs, password sign-in on or off, and sign-ups open or closed.
import { dashboardUrl } from '../core/accounts/invites.ts';
import { PaasError } from '../core/errors.ts';
import { getSettings, requireAdmin, setPasswordSignIn, setSignupsOpen, signupsAllowed } from '../core/settings.ts';
import { redirectUriOf } from '../services/sso/sign-in.ts';
import { need, table, type Command } from './types.ts';

export const signInCommands: Command[] = [
  {
    name: 'signin', args: '', summary: 'Show the sign-in providers, their redirect URIs, and whether password sign-in is on (admins)',
    async run(ctx) {
      requireAdmin(ctx.actor, 'see the sign-in settings');
      const settings = await getSettings(ctx.db);
      ctx.out(`Password sign-in: ${settings.passwordSignIn ? 'on' : 'off'}`);
      ctx.out(`Sign-ups: ${signupsAllowed(settings, ctx.config.isolation.mode) ? 'open' : ctx.config.isolation.mode === 'none' ? 'closed (single-tenant mode)' : 'closed'}`);
      const providers = ctx.config.signIn.providers;
      if (!providers.length) { ctx.out('No sign-in providers (set PAAS_OIDC_PROVIDERS; see /docs/sign-in)'); return; }
      const base = ctx.config.signIn.publicUrl ?? dashboardUrl(ctx.config);
      table(providers.map((p) => [p.id, p.kind, p.name, redirectUriOf(base, p)])).forEach(ctx.out);
    },
  },
  {
    name: 'signin:password', args: 'on|off', summary: 'Turn password sign-in on or off (admins; off needs a sign-in provider)',
    async run(ctx, args) {
      const value = need(args, 0, 'on|off', 'signin:password on|off');
      if (value !== 'on' && value !== 'off') throw new PaasError('E_USAGE', 'Give on or off: signin:password on|off');
      await setPasswordSignIn(ctx.db, ctx.actor, value === 'on', ctx.config.signIn.providers.length);
      ctx.out(value === 'on' ? 'Password sign-in is on' : 'Password sign-in is off: users sign in with a provider only (the local CLI can turn it back on)');
    },
  },
  {
    name: 'signin:signups', args: 'open|closed', summary: 'Open sign-ups to anyone who reaches the dashboard, or close them (admins; needs per-app sandboxes)',
    async run(ctx, args) {
      const value = need(args, 0, 'open|closed', 'signin:signups open|closed');
      if (value !== 'open' && value !== 'closed') throw new PaasError('E_USAGE', 'Give open or closed: signin:signups open|closed');
      const { isolation } = ctx.config;
      if (value === 'open' && isolation.mode === 'none') {
        throw new PaasError('E_SINGLE_TENANT', `Sign-ups stay closed: this platform runs in single-tenant mode (${isolation.reason}), where apps are not sandboxed from each other`);
      }
      await setSignupsOpen(ctx.db, ctx.actor, value === 'open');
      ctx.out(value === 'open' ? 'Sign-ups are open: anyone who reaches the dashboard can sign up, with a password or a sign-in provider' : 'Sign-ups are closed: new users come by invite (invites:create) or users:create');
    },
  },
];
