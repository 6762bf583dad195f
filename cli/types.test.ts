// cli/types.test.ts — the CLI's argv parsing (node:util parseArgs): each command's own flags, `--`, and clear
// usage errors for an unknown flag or a flag without its value, through the command runner as users see them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../core/logger.ts';
import { runCommand } from './commands.ts';
import { parseArgs, type CommandContext } from './types.ts';

const logs = { num: { type: 'string', short: 'n' }, tail: { type: 'boolean', short: 't' } } as const;

test('flags by long or short name, inline values, and everything after -- is positional', () => {
  const a = parseArgs(['web', '-n', '5', '-t'], logs);
  assert.deepEqual(a.positional, ['web']);
  assert.deepEqual([...a.flags], [['num', '5'], ['tail', true]]);
  const b = parseArgs(['shop', '--confirm=shop'], { confirm: { type: 'string' } });
  assert.equal(b.flags.get('confirm'), 'shop');
  const c = parseArgs(['shop', 'K=V', '--', '--not-a-flag', '-t'], logs);
  assert.deepEqual(c.positional, ['shop', 'K=V', '--not-a-flag', '-t']);
  assert.equal(c.flags.size, 0);
  assert.equal(parseArgs(['-h']).flags.get('help'), true);
});

test('an unknown flag, a missing value and a value for a boolean flag are usage errors naming the flag', () => {
  const usage = 'paas apps:create APP [--owner EMAIL]';
  const owner = { owner: { type: 'string' } } as const;
  assert.throws(() => parseArgs(['shop', '--bogus'], owner, usage), { code: 'E_USAGE', message: `Unknown flag --bogus. Usage: ${usage}` });
  assert.throws(() => parseArgs(['shop', '-x'], owner, usage), { code: 'E_USAGE', message: /^Unknown flag -x\./ });
  assert.throws(() => parseArgs(['shop', '--owner'], owner, usage), { code: 'E_USAGE', message: `--owner needs a value. Usage: ${usage}` });
  assert.throws(() => parseArgs(['shop', '--owner', '--help'], owner, usage), { code: 'E_USAGE', message: /^--owner needs a value/ });
  assert.throws(() => parseArgs(['web', '-n'], logs, 'logs'), { code: 'E_USAGE', message: /^-n needs a value/ });
  assert.throws(() => parseArgs(['x', '--admin=yes'], { admin: { type: 'boolean' } }, 'u'), { code: 'E_USAGE', message: /^--admin takes no value/ });
  assert.throws(() => parseArgs(['shop', '--owner', 'a@example.com'], {}, 'apps'), { code: 'E_USAGE', message: /^Unknown flag --owner/ });
  // A flag whose command judges a bare one itself (apps:destroy --confirm) gets '', and still no flag as its value.
  const confirm = { confirm: { type: 'string', bareIsEmpty: true } } as const;
  assert.equal(parseArgs(['shop', '--confirm'], confirm).flags.get('confirm'), '');
  assert.throws(() => parseArgs(['shop', '--confirm', '--help'], confirm, 'd'), { code: 'E_USAGE', message: /^--confirm needs a value/ });
});

test('the runner refuses an unknown flag and a missing flag value with a usage line and exit 1, before the command runs', async () => {
  const out: string[] = [], err: string[] = [];
  const ctx = { out: (l: string) => out.push(l), err: (l: string) => err.push(l), signal: new AbortController().signal } as unknown as CommandContext;
  const log = createLogger('silent');
  assert.equal(await runCommand(ctx, ['apps:create', 'shop', '--owner'], true, 'paas', log), 1);
  assert.equal(await runCommand(ctx, ['apps', '--all'], true, 'paas', log), 1);
  assert.equal(await runCommand(ctx, ['logs', 'shop', '--follow'], true, 'paas', log), 1);
  assert.deepEqual(err, [
    ' !     --owner needs a value. Usage: paas apps:create APP [--owner EMAIL]',
    ' !     Unknown flag --all. Usage: paas apps',
    ' !     Unknown flag --follow. Usage: paas logs APP [-t] [-n N]',
  ]);
  assert.deepEqual(out, []);
});
