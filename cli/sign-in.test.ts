// cli/sign-in.test.ts — `signin`, `signin:password` and `signin:signups` through the command runner, as the operator and as a plain
// user over SSH, on a migrated test schema.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import type { Actor } from '../core/access.ts';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { getSettings } from '../core/settings.ts';
import { openTestSchema } from '../test/support/test-schema.ts';
import { runCommand } from './commands.ts';
import type { CommandContext } from './types.ts';

const GITHUB = { PAAS_OIDC_PROVIDERS: 'github', PAAS_OIDC_GITHUB_CLIENT_ID: 'a', PAAS_OIDC_GITHUB_CLIENT_SECRET: 'b', PAAS_PUBLIC_URL: 'https://paas.example.com' };

function runner(db: Knex, env: Record<string, string>, actor: Actor) {
  const out: string[] = [], err: string[] = [];
  const ctx = {
    db, config: loadConfig(env), actor, out: (l: string) => out.push(l), err: (l: string) => err.push(l),
    signal: new AbortController().signal, reader: { status: async () => [], logs: async () => undefined },
  } as unknown as CommandContext;
  return { out, err, run: (...argv: string[]) => runCommand(ctx, argv, actor.kind === 'operator', 'paas', createLogger('silent')) };
}

test('signin lists the providers with their redirect URIs; signin:password needs a provider to turn off, and admins', async (t: TestContext) => {
  const db = await openTestSchema(t, 'cli_signin');
  if (!db) return;
  const none = runner(db, {}, { kind: 'operator' });
  assert.equal(await none.run('signin:password', 'off'), 1);
  assert.match(none.err.join('\n'), /Password sign-in stays on: no sign-in provider is configured/);
  assert.equal((await getSettings(db)).passwordSignIn, true);
  assert.equal(await none.run('signin:password', 'maybe'), 1);
  assert.match(none.err.join('\n'), /Give on or off/);

  const op = runner(db, GITHUB, { kind: 'operator' });
  assert.equal(await op.run('signin'), 0, op.err.join('\n'));
  assert.equal(op.out[0], 'Password sign-in: on');
  assert.match(op.out[1]!, /^Sign-ups: closed/);
  assert.match(op.out[2]!, /^github\s+github\s+GitHub\s+https:\/\/paas\.example\.com\/auth\/oidc\/github\/callback$/);
  assert.equal(await op.run('signin:password', 'off'), 0, op.err.join('\n'));
  assert.equal((await getSettings(db)).passwordSignIn, false);

  const user = runner(db, GITHUB, { kind: 'user', user: { id: 1, email: 'u@example.com', isAdmin: false, disabled: false } });
  assert.equal(await user.run('signin:password', 'on'), 1);
  assert.match(user.err.join('\n'), /Only admins can turn password sign-in on or off/);
  assert.equal(await op.run('signin:password', 'on'), 0);
  assert.equal((await getSettings(db)).passwordSignIn, true);
});

test('signin:signups opens and closes sign-ups (admins), and refuses to open them in single-tenant mode', async (t: TestContext) => {
  const db = await openTestSchema(t, 'cli_signups');
  if (!db) return;
  const single = runner(db, { PAAS_ISOLATION: 'none' }, { kind: 'operator' });
  assert.equal(await single.run('signin:signups', 'open'), 1);
  assert.match(single.err.join('\n'), /Sign-ups stay closed: this platform runs in single-tenant mode \(PAAS_ISOLATION=none\)/);
  assert.equal((await getSettings(db)).signupsOpen, false);
  assert.equal(await single.run('signin:signups', 'closed'), 0, 'closing is always allowed');

  const op = runner(db, { PAAS_ISOLATION: 'sandbox' }, { kind: 'operator' });
  assert.equal(await op.run('signin:signups', 'yes'), 1);
  assert.match(op.err.join('\n'), /Give open or closed: signin:signups open\|closed/);
  assert.equal(await op.run('signin:signups', 'open'), 0, op.err.join('\n'));
  assert.match(op.out.join('\n'), /Sign-ups are open: anyone who reaches the dashboard can sign up/);
  assert.equal((await getSettings(db)).signupsOpen, true);
  assert.equal(await op.run('signin'), 0);
  assert.ok(op.out.includes('Sign-ups: open'), op.out.join('\n'));
  assert.equal(await single.run('signin'), 0);
  assert.ok(single.out.includes('Sign-ups: closed (single-tenant mode)'), single.out.join('\n'));

  const user = runner(db, {}, { kind: 'user', user: { id: 1, email: 'u@example.com', isAdmin: false, disabled: false } });
  assert.equal(await user.run('signin:signups', 'closed'), 1);
  assert.match(user.err.join('\n'), /Only admins can open or close sign-ups/);
  assert.equal(await op.run('signin:signups', 'closed'), 0);
  assert.equal((await getSettings(db)).signupsOpen, false);
});
