// cli/autoscale.test.ts — ps:autoscale, ps:autoscale:off and ps's autoscaling lines through the command runner as
// users see them, on a migrated test schema (no runtime: the outbox shows what the controller is told).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Knex } from 'knex';
import { loadConfig } from '../core/config.ts';
import { createLogger } from '../core/logger.ts';
import { insertBuild, openTestSchema } from '../test/support/test-schema.ts';
import { runCommand } from './commands.ts';
import type { CommandContext } from './types.ts';

interface World { db: Knex; out: string[]; err: string[]; run(...argv: string[]): Promise<number> }

/** An app `shop` with build 1 (web, worker) live as v1, and a runner of commands as the operator in the given mode. */
async function world(t: TestContext, env: Record<string, string>): Promise<World | undefined> {
  const db = await openTestSchema(t, 'cli_autoscale');
  if (!db) return undefined;
  const buildId = await insertBuild(db, 'shop', { status: 'succeeded' });
  await db('builds').where({ id: buildId }).update({ process_types: JSON.stringify({ web: 'node server.js', worker: 'node w.js' }) });
  const app = await db('apps').where({ name: 'shop' }).first();
  const [release] = await db('releases').insert({ app_id: app.id, version: 1, build_id: buildId, description: 'Deploy', status: 'succeeded' }).returning('*');
  await db('apps').where({ id: app.id }).update({ current_release_id: release.id, formation: JSON.stringify({ web: 1 }) });
  const out: string[] = [], err: string[] = [];
  const ctx = {
    db, config: loadConfig(env), actor: { kind: 'operator' }, out: (l: string) => out.push(l), err: (l: string) => err.push(l),
    signal: new AbortController().signal, reader: { status: async () => [], logs: async () => undefined },
  } as unknown as CommandContext;
  const log = createLogger('silent');
  return { db, out, err, run: (...argv) => runCommand(ctx, argv, true, 'paas', log) };
}

const kubernetes = { PAAS_RUNTIME: 'kubernetes', PAAS_REGISTRY: 'registry.test:5000' };
const stored = async (db: Knex) => (await db('apps').where({ name: 'shop' }).first()).autoscaling as Record<string, unknown>;

test('ps:autoscale stores the setting, ps shows it, ps:scale of that type is refused, ps:autoscale:off turns it off', async (t) => {
  const w = await world(t, kubernetes);
  if (!w) return;
  assert.equal(await w.run('ps:autoscale', 'shop', 'web', '--min', '1', '--max', '5', '--cpu', '70'), 0, w.err.join('\n'));
  assert.deepEqual(w.out.splice(0), ['Autoscaling web of shop: 1..5 at 70% CPU... done']);
  assert.equal(await w.run('ps', 'shop'), 0, w.err.join('\n'));
  assert.deepEqual(w.out.splice(0), ['=== shop processes (v1)', 'No processes running', '=== Autoscaling', 'web: 1..5 at 70% CPU']);
  assert.equal(await w.run('ps:scale', 'shop', 'web=3'), 1);
  assert.match(w.err.splice(0).join('\n'), /^ !     web of shop is autoscaled: its instance count is the autoscaler's; turn it off with ps:autoscale:off shop web first$/);
  assert.equal(await w.run('ps:autoscale:off', 'shop', 'web'), 0, w.err.join('\n'));
  assert.equal(await w.run('ps:autoscale:off', 'shop', 'web'), 0, w.err.join('\n'));
  assert.deepEqual(w.out.splice(0), ['Autoscaling of web of shop is off... done', 'web of shop was not autoscaled']);
  assert.equal(await w.run('ps', 'shop'), 0);
  assert.deepEqual(w.out.splice(0), ['=== shop processes (v1)', 'No processes running']);
  const subjects = (await w.db('outbox').orderBy('id')).map((r) => r.subject);
  assert.deepEqual(subjects, ['paas.autoscaling.updated', 'paas.autoscaling.updated']);
});

test('ps:autoscale refuses missing or hostile arguments with a ` !     ` line and exit 1, and stores nothing', async (t) => {
  const w = await world(t, kubernetes);
  if (!w) return;
  const cases: Array<[string[], RegExp]> = [
    [['shop'], /^ !     Missing TYPE\. Usage: ps:autoscale APP TYPE --min N --max M --cpu P$/],
    [['shop', 'web', 'worker', '--min', '1', '--max', '2', '--cpu', '3'], /^ !     Give one process type/],
    [['shop', 'web', '--max', '5', '--cpu', '70'], /^ !     min is missing/],
    [['shop', 'web', '--min', '0', '--max', '5', '--cpu', '70'], /^ !     min 0 is out of range \(from 1 to 99\)$/],
    [['shop', 'web', '--min', '-1', '--max', '5', '--cpu', '70'], /^ !     --min needs a value\. Usage: paas ps:autoscale APP TYPE --min N --max M --cpu P$/], // -1 reads as a flag
    [['shop', 'web', '--min=-1', '--max', '5', '--cpu', '70'], /^ !     min "-1" is not a whole number/],
    [['shop', 'web', '--min', '3', '--max', '2', '--cpu', '70'], /^ !     max 2 is out of range \(from 3 to 99\)$/],
    [['shop', 'web', '--min', '1', '--max', '1000', '--cpu', '70'], /^ !     max 1000 is out of range/],
    [['shop', 'web', '--min', '1', '--max', '99999999999999999999', '--cpu', '70'], /^ !     max "99999999999999999999" is not a whole number/],
    [['shop', 'web', '--min', '1', '--max', '5', '--cpu', '101'], /^ !     cpu 101 is out of range \(from 1 to 100\)$/],
    [['shop', 'web', '--min', '1', '--max', '5', '--cpu', '0'], /^ !     cpu 0 is out of range/],
    [['shop', 'web', '--min', '1.5', '--max', '5', '--cpu', '70'], /^ !     min "1.5" is not a whole number/],
    [['shop', 'web', '--min', '1', '--max', '5', '--cpu', '70%'], /^ !     cpu "70%" is not a whole number/],
    [['shop', 'web', '--min', '1', '--max', '5', '--cpu'], /^ !     --cpu needs a value/],
    [['shop', 'web', '--min', '1', '--max', '5', '--cpu', '70', '--memory', '80'], /^ !     Unknown flag --memory/],
    [['shop', 'clock', '--min', '1', '--max', '5', '--cpu', '70'], /^ !     No process type clock in v1; its types are: web, worker$/],
    [['shop', 'Web', '--min', '1', '--max', '5', '--cpu', '70'], /^ !     "Web" is not a process type/],
    [['nosuch', 'web', '--min', '1', '--max', '5', '--cpu', '70'], /^ !     App "nosuch" not found/],
  ];
  for (const [args, re] of cases) {
    assert.equal(await w.run('ps:autoscale', ...args), 1, args.join(' '));
    const said = w.err.splice(0).join('\n');
    assert.match(said, re, args.join(' '));
  }
  assert.deepEqual(await stored(w.db), {});
  assert.equal((await w.db('outbox')).length, 0);
});

test('outside Kubernetes mode ps:autoscale and ps:autoscale:off say it needs Kubernetes mode', async (t) => {
  const w = await world(t, {});
  if (!w) return;
  assert.equal(await w.run('ps:autoscale', 'shop', 'web', '--min', '1', '--max', '5', '--cpu', '70'), 1);
  assert.equal(await w.run('ps:autoscale:off', 'shop', 'web'), 1);
  assert.deepEqual(w.err, [
    ' !     Autoscaling needs Kubernetes mode (PAAS_RUNTIME=kubernetes); this platform runs in local mode. Use ps:scale to set instance counts',
    ' !     Autoscaling needs Kubernetes mode (PAAS_RUNTIME=kubernetes); this platform runs in local mode. Use ps:scale to set instance counts',
  ]);
  assert.deepEqual(await stored(w.db), {});
});
