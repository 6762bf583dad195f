// cli/config-restart.test.ts — config:set --encoded and --no-restart, config:unset --no-restart, ps:restart and `run`'s
// argv, through the command runner as users see them, on a migrated test schema (no runtime: the outbox shows intent).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import { toCommandLine } from '../services/one-off.ts';
import { runCommand } from './commands.ts';
import { parseArgs, type CommandContext } from './types.ts';
import type { OneOffInput } from '../runtime/types.ts';

const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n';
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

interface World { db: Knex; ctx: CommandContext; out: string[]; err: string[]; run(...argv: string[]): Promise<number> }

/** An app `shop` with build 1 (web, worker) live as v1 with config {A: 'a'}, and a runner of commands as the operator. */
async function world(t: TestContext, runs: OneOffInput[] = []): Promise<World | undefined> {
  const db = await openTestSchema(t, 'cli');
  if (!db) return undefined;
  const buildId = await insertBuild(db, 'shop', { status: 'succeeded' });
  await db('builds').where({ id: buildId }).update({ process_types: JSON.stringify({ web: 'node server.js', worker: 'node w.js' }), slug_dir: '/tmp/slug' });
  const app = await db('apps').where({ name: 'shop' }).first();
  await db('apps').where({ id: app.id }).update({ config: JSON.stringify({ A: 'a' }) });
  const [release] = await db('releases').insert({ app_id: app.id, version: 1, build_id: buildId, config: JSON.stringify({ A: 'a' }), description: 'Deploy', status: 'succeeded' }).returning('*');
  await db('apps').where({ id: app.id }).update({ current_release_id: release.id });
  const out: string[] = [], err: string[] = [];
  const ctx = {
    db, config: loadConfig({}), actor: { kind: 'operator' }, out: (l: string) => out.push(l), err: (l: string) => err.push(l), signal: new AbortController().signal,
    oneOff: { runOneOff: async (input: OneOffInput) => { runs.push(input); input.onLine(`ran ${input.command}`, 'stdout'); return 3; } },
  } as unknown as CommandContext;
  const log = createLogger('silent');
  return { db, ctx, out, err, run: (...argv) => runCommand(ctx, argv, true, 'paas', log) };
}

const config = async (db: Knex) => (await db('apps').where({ name: 'shop' }).first()).config as Record<string, string>;
const versions = async (db: Knex) => (await db('releases').orderBy('version')).map((r) => `v${r.version} ${r.description}`);
const outbox = async (db: Knex) => (await db('outbox').orderBy('id')).map((r) => [r.subject, typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload]);

test('config:set --encoded stores a multi-line value decoded', async (t) => {
  const w = await world(t);
  if (!w) return;
  const code = await w.run('config:set', '--encoded', '--no-restart', 'shop', `KEY=${b64(pem)}`, `EMPTY=`);
  assert.equal(code, 0, w.err.join('\n'));
  assert.deepEqual(await config(w.db), { A: 'a', KEY: pem, EMPTY: '' });
});

test('config:set --encoded refuses invalid base64, a wrong length, non-UTF-8 and NUL bytes, naming the key, and stores nothing', async (t) => {
  const w = await world(t);
  if (!w) return;
  const cases: Array<[string, RegExp]> = [
    ['KEY=not base64!', /^ {1}!     KEY: --encoded values must be base64/],
    [`KEY=${b64(pem).slice(0, -1)}`, /^ !     KEY: --encoded values must be base64/], // a wrong length
    ['KEY=YWI', /^ !     KEY: --encoded values must be base64/], // 'ab' with its padding left off
    ['KEY=YWJ=', /^ !     KEY: --encoded values must be base64/], // spare bits set: not what any encoder makes
    [`KEY=${b64(pem).slice(0, 8)}\n${b64(pem).slice(8)}`, /^ !     KEY: --encoded values must be base64/], // a line break
    [`KEY=${b64(Buffer.from([0xc3, 0x28, 0xff]))}`, /^ !     KEY: the --encoded value does not decode to UTF-8 text$/],
    [`KEY=${b64('a\0b')}`, /^ !     KEY: config values cannot contain a NUL byte$/],
  ];
  for (const [pair, expected] of cases) {
    w.err.length = 0;
    // --no-restart: a value wrongly let through is stored (and seen below) instead of waiting for a deploy.
    assert.equal(await w.run('config:set', '--encoded', '--no-restart', 'shop', 'OK=b2s=', pair), 1, pair);
    assert.match(w.err[0] ?? '', expected, pair);
  }
  assert.deepEqual(await config(w.db), { A: 'a' }, 'nothing stored, not even the valid pair beside them');
  assert.deepEqual(await versions(w.db), ['v1 Deploy']);
});

test('config:set --bogus is refused with a usage line, and a plain value that looks like base64 is kept as given', async (t) => {
  const w = await world(t);
  if (!w) return;
  assert.equal(await w.run('config:set', 'shop', '--bogus', 'X=1'), 1);
  assert.deepEqual(w.err, [' !     Unknown flag --bogus. Usage: paas config:set APP KEY=VALUE… [--encoded] [--no-restart]']);
  assert.equal(await w.run('config:set', 'shop', '--no-restart', 'X=aGk='), 0);
  assert.equal((await config(w.db)).X, 'aGk=');
});

test('--no-restart stores without a release; ps:restart then deploys the change in a release of its own', async (t) => {
  const w = await world(t);
  if (!w) return;
  assert.equal(await w.run('config:set', 'shop', 'B=b', '--no-restart'), 0);
  assert.equal(await w.run('config:unset', 'shop', 'A', '--no-restart'), 0);
  assert.deepEqual(w.out, [
    'Setting B on shop... done (not restarted: the next push, ps:restart or config:set deploys it)',
    'Unsetting A on shop... done (not restarted: the next push, ps:restart or config:set deploys it)',
  ]);
  assert.deepEqual(await config(w.db), { B: 'b' });
  assert.deepEqual(await versions(w.db), ['v1 Deploy'], 'no release, no restart');
  assert.deepEqual(await outbox(w.db), []);
  // The restart makes v2 with the stored config (the CLI waits for it: the test marks it deployed, as the controller would).
  const restarting = w.run('ps:restart', 'shop', 'web');
  const v2 = await waitForRow(w.db, 2);
  assert.equal(v2.description, 'Restart with config changes');
  assert.deepEqual(v2.config, { B: 'b' });
  await w.db('releases').where({ id: v2.id }).update({ status: 'succeeded' });
  assert.equal(await restarting, 0, w.err.join('\n'));
  assert.deepEqual(w.out.slice(-2), [
    "The config differs from the live release's (A, B): a new release restarts every process type, not only web",
    'Restarting shop with config changes not yet deployed: A, B... done, v2',
  ]);
  assert.deepEqual((await outbox(w.db)).map(([s]) => s), ['paas.release.created']);
});

test('ps:restart whose config release fails says which keys every later ps:restart deploys again', async (t) => {
  const w = await world(t);
  if (!w) return;
  assert.equal(await w.run('config:set', 'shop', 'FOO=1', 'BAR=2', '--no-restart'), 0);
  const restarting = w.run('ps:restart', 'shop');
  const v2 = await waitForRow(w.db, 2);
  await w.db('releases').where({ id: v2.id }).update({ status: 'failed', error: 'web did not boot' });
  assert.equal(await restarting, 1);
  assert.deepEqual(w.err, [' !     Release v2 failed: web did not boot; the previous release keeps serving. Every ps:restart deploys these config changes (BAR, FOO) until config:set or config:unset makes them work']);
});

test('ps:restart of an unchanged app enqueues paas.processes.restart; an unknown type lists the types', async (t) => {
  const w = await world(t);
  if (!w) return;
  assert.equal(await w.run('ps:restart', 'shop'), 0);
  assert.equal(await w.run('ps:restart', 'shop', 'worker'), 0);
  assert.deepEqual(w.out, ['Restarting shop... done', 'Restarting worker processes of shop... done']);
  assert.deepEqual(await outbox(w.db), [
    ['paas.processes.restart', { v: 1, app: 'shop' }],
    ['paas.processes.restart', { v: 1, app: 'shop', type: 'worker' }],
  ]);
  assert.equal(await w.run('ps:restart', 'shop', 'clock'), 1);
  assert.deepEqual(w.err, [' !     No process type clock in v1; its types are: web, worker']);
  assert.equal(await w.run('ps:restart', 'nope'), 1);
  assert.match(w.err.at(-1)!, /App "nope" not found/);
  assert.equal((await outbox(w.db)).length, 2);
});

test('run APP CMD… passes the whole tail (flags too) as one command line and returns its exit code', async (t) => {
  const runs: OneOffInput[] = [];
  const w = await world(t, runs);
  if (!w) return;
  assert.equal(await w.run('run', 'shop', 'ls', '-la'), 3);
  assert.equal(await w.run('run', 'shop', '--', 'sh', '-c', 'echo $FOO; exit 3'), 3);
  assert.deepEqual(runs.map((r) => r.command), ['ls -la', 'sh -c "echo \\$FOO; exit 3"']);
  assert.deepEqual(w.out, ['ran ls -la', 'ran sh -c "echo \\$FOO; exit 3"']);
  assert.equal(runs[0]!.spec.env.A, 'a');
  assert.equal(runs[0]!.timeoutMs, 3600_000);
  assert.equal(await w.run('run', 'shop'), 1);
  assert.match(w.err.at(-1)!, /^ !     Give the command to run/);
});

test('the words of run become a shell line as Heroku joins them, each word with a space or quote kept whole', () => {
  assert.equal(toCommandLine(['rake test']), 'rake test');
  assert.equal(toCommandLine(['echo', '$FOO']), 'echo $FOO');
  assert.equal(toCommandLine(['sh', '-c', 'echo "hi" `x` $Y\\']), 'sh -c "echo \\"hi\\" \\`x\\` \\$Y\\\\"');
  assert.deepEqual(parseArgs(['shop', 'ls', '-la'], {}, 'run', 1).positional, ['shop', 'ls', '-la']);
  assert.deepEqual(parseArgs(['shop', '--', 'ls', '--help'], {}, 'run', 1).positional, ['shop', 'ls', '--help']);
  assert.equal(parseArgs(['shop', '--help'], {}, 'run', 1).flags.get('help'), true);
  assert.throws(() => parseArgs(['shop', '--bogus', 'ls'], {}, 'run', 1), { code: 'E_USAGE' });
});

async function waitForRow(db: Knex, version: number): Promise<{ id: number; description: string; config: Record<string, string> }> {
  for (let i = 0; i < 200; i++) {
    const row = await db('releases').where({ version }).first();
    if (row) return row;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`no release v${version}`);
}
