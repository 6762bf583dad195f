// cli/sign-in.test.ts — `signin` and `signin:password` through the command runner, as the operator and as a plain
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
  assert.match(op.out[1]!, /^github\s+github\s+GitHub\s+https:\/\/paas\.example\.com\/auth\/oidc\/github\/callback$/);
  assert.equal(await op.run('signin:password', 'off'), 0, op.err.join('\n'));
  assert.equal((await getSettings(db)).passwordSignIn, false);

  const user = runner(db, GITHUB, { kind: 'user', user: { id: 1, email: 'u@example.com', isAdmin: false, disabled: false } });
  assert.equal(await user.run('signin:password', 'on'), 1);
  assert.match(user.err.join('\n'), /Only admins can turn password sign-in on or off/);
  assert.equal(await op.run('signin:password', 'on'), 0);
  assert.equal((await getSettings(db)).passwordSignIn, true);
});
