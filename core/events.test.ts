// core/events.test.ts — the event contract: docs/events.md matches the code, and payloads are validated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { events, eventOfSubject, subjectOf, validatePayload } from './events.ts';
import { MemoryBus, publish, subjectMatches } from './bus.ts';
import { createLogger } from './logger.ts';

function docRows(): Map<string, string[]> {
  const text = fs.readFileSync(new URL('../docs/events.md', import.meta.url), 'utf8');
  const rows = text.split('\n').filter((l) => l.startsWith('| `'));
  return new Map(rows.map((r) => {
    const cells = r.split('|').slice(1, -1).map((c) => c.trim());
    return [cells[0]!.replace(/`/g, ''), cells];
  }));
}

test('docs/events.md lists exactly the events in code, with their version and fields', () => {
  const rows = docRows();
  assert.deepEqual([...rows.keys()].sort(), Object.values(events).map((e) => e.subject).sort());
  for (const e of Object.values(events)) {
    const cells = rows.get(e.subject)!;
    assert.equal(Number(cells[1]), e.version, `${e.subject} version`);
    assert.equal(cells[2], e.delivery === 'work' ? 'JetStream work item' : 'core NATS', `${e.subject} delivery`);
    const documented = [...cells[5]!.matchAll(/`(\w+)`: (\w+\??)/g)].map((m) => `${m[1]}:${m[2]}`);
    assert.deepEqual(documented, Object.entries(e.fields).map(([k, t]) => `${k}:${t}`), `${e.subject} fields`);
  }
});

test('subjects map back to their event; tokens are checked', () => {
  assert.equal(subjectOf('buildLog', 'abc-1'), 'paas.build.abc-1.log');
  assert.equal(eventOfSubject('paas.build.abc-1.log'), 'buildLog');
  assert.equal(eventOfSubject('paas.app.web.log'), 'appLog');
  assert.equal(eventOfSubject('paas.nope'), undefined);
  assert.throws(() => subjectOf('buildLog', 'a.b'));
  assert.throws(() => subjectOf('buildLog'));
});

test('payloads that do not match the schema are reported', () => {
  assert.deepEqual(validatePayload('appDestroyed', { v: 1, app: 'x' }), []);
  assert.deepEqual(validatePayload('appDestroyed', { v: 2, app: 'x' }), ['v must be 1']);
  assert.deepEqual(validatePayload('appDestroyed', { v: 1 }), ['app is missing']);
  assert.deepEqual(validatePayload('buildLog', { v: 1, buildId: 'b', app: 'a', seq: '1', line: 'x' }), ['seq must be number']);
  assert.deepEqual(validatePayload('deployStatus', { v: 1, releaseId: 1, app: 'a', version: 1, status: 'ok' }), []);
});

test('NATS-style wildcards', () => {
  assert.ok(subjectMatches('paas.deploy.*.status', 'paas.deploy.12.status'));
  assert.ok(!subjectMatches('paas.deploy.*.status', 'paas.deploy.12.log'));
  assert.ok(subjectMatches('paas.>', 'paas.build.1.log'));
  assert.ok(!subjectMatches('paas.>', 'paas'));
});

test('the in-process bus delivers valid events in order and drops invalid ones', async () => {
  const bus = new MemoryBus(createLogger('silent'));
  const seen: string[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => { done = r; });
  bus.subscribe('paas.build.*.log', (_s, p) => { seen.push(String(p.line)); if (p.line === 'c') done(); });
  await publish(bus, 'buildLog', { buildId: 'b', app: 'a', seq: 1, line: 'a' }, 'b');
  await bus.publishRaw('paas.build.b.log', { v: 1, buildId: 'b' });
  await publish(bus, 'buildLog', { buildId: 'b', app: 'a', seq: 2, line: 'b' }, 'b');
  await publish(bus, 'buildLog', { buildId: 'b', app: 'a', seq: 3, line: 'c' }, 'b');
  await finished;
  assert.deepEqual(seen, ['a', 'b', 'c']);
});
