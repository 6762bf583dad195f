// runtime/local/reader.test.ts — the embedded mode's RuntimeReader against a real processes table and a real log
// file written by AppLog: ps rows, the tail, and following new lines through the bus (a process that has one) or the
// file (the local CLI), each stopping when aborted.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryBus, publish } from '../../core/bus.ts';
import { createLogger } from '../../core/logger.ts';
import { openTestSchema } from '../../test/support/test-schema.ts';
import { AppLog } from './app-log.ts';
import { appLogFile } from './log-file.ts';
import { LocalReader } from './reader.ts';

function dataDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-reader-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The same wiring as the embedded mode's drivers: the app's log file, and every line on the bus. */
function appLog(t: TestContext, dir: string, bus: MemoryBus): AppLog {
  const log = new AppLog(path.dirname(appLogFile(dir, 'x')), (app, line, source, time) => void publish(bus, 'appLog', { app, source, line, time }, app));
  t.after(() => log.closeAll());
  return log;
}

async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('status reads the controller\'s processes snapshot, ordered by type and index', async (t) => {
  const db = await openTestSchema(t, 'reader');
  if (!db) return;
  const reader = new LocalReader(db, dataDir(t));
  assert.deepEqual(await reader.status('demo'), []);
  const since = new Date('2026-01-01T00:00:00.000Z');
  await db('processes').insert([
    { app: 'demo', type: 'worker', index: 1, version: 3, state: 'crashed', pid: null, port: null, restarts: 2, since },
    { app: 'demo', type: 'web', index: 2, version: 3, state: 'starting', pid: 11, port: 40002, restarts: 0, since },
    { app: 'demo', type: 'web', index: 1, version: 3, state: 'up', pid: 10, port: 40001, restarts: 0, since },
    { app: 'other', type: 'web', index: 1, version: 1, state: 'up', pid: 12, port: 40003, restarts: 0, since },
  ]);
  assert.deepEqual(await reader.status('demo'), [
    { app: 'demo', type: 'web', index: 1, version: 3, state: 'up', pid: 10, port: 40001, restarts: 0, since },
    { app: 'demo', type: 'web', index: 2, version: 3, state: 'starting', pid: 11, port: 40002, restarts: 0, since },
    { app: 'demo', type: 'worker', index: 1, version: 3, state: 'crashed', restarts: 2, since },
  ]);
});

test('logs prints the last lines of the log file, the tail end is signalled, and a missing file has none', async (t) => {
  const db = await openTestSchema(t, 'reader');
  if (!db) return;
  const dir = dataDir(t);
  const bus = new MemoryBus(createLogger('silent'));
  const reader = new LocalReader(db, dir, bus);
  const read = async (lines: number) => {
    const out: string[] = [];
    let ended = -1;
    await reader.logs('demo', { lines, follow: false, signal: new AbortController().signal, onTailEnd: () => { ended = out.length; } }, (l) => out.push(l));
    assert.equal(ended, out.length, 'onTailEnd comes after the tail');
    return out;
  };
  assert.deepEqual(await read(10), []);
  const log = appLog(t, dir, bus);
  for (const i of [1, 2, 3]) log.write('demo', 'web.1', `line ${i}`);
  await log.close('demo');
  const all = await read(10);
  assert.equal(all.length, 3);
  all.forEach((l, i) => assert.match(l, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z app\\[web\\.1\\]: line ${i + 1}$`)));
  assert.deepEqual(await read(2), all.slice(1));
});

test('with a bus, follow prints the tail and then each new line exactly as the file records it, until aborted', async (t) => {
  const db = await openTestSchema(t, 'reader');
  if (!db) return;
  const dir = dataDir(t);
  const bus = new MemoryBus(createLogger('silent'));
  const log = appLog(t, dir, bus);
  log.write('demo', 'web.1', 'before');
  await log.close('demo');
  const reader = new LocalReader(db, dir, bus);
  const out: string[] = [];
  const abort = new AbortController();
  let tailEnd = -1;
  const following = reader.logs('demo', { lines: 5, follow: true, signal: abort.signal, onTailEnd: () => { tailEnd = out.length; } }, (l) => out.push(l));
  await waitUntil(() => tailEnd === 1, 'the tail');
  log.write('demo', 'web.1', 'after');
  log.write('other', 'web.1', 'not this app');
  log.write('demo', 'paas', 'Deployed v2');
  await waitUntil(() => out.length === 3, 'the new lines');
  await log.close('demo');
  assert.deepEqual(out, fs.readFileSync(appLogFile(dir, 'demo'), 'utf8').trimEnd().split('\n'), 'the same lines as the file, time included');
  abort.abort();
  await following;
  log.write('demo', 'web.1', 'after the end');
  await new Promise((r) => setImmediate(r));
  assert.equal(out.length, 3, 'unsubscribed once aborted');
});

test('without a bus (the local CLI), follow reads the file as it grows', async (t) => {
  const db = await openTestSchema(t, 'reader');
  if (!db) return;
  const dir = dataDir(t);
  const log = appLog(t, dir, new MemoryBus(createLogger('silent')));
  log.write('demo', 'web.1', 'before');
  const reader = new LocalReader(db, dir);
  const out: string[] = [];
  const abort = new AbortController();
  const following = reader.logs('demo', { lines: 5, follow: true, signal: abort.signal }, (l) => out.push(l));
  await waitUntil(() => out.length === 1, 'the tail');
  log.write('demo', 'web.1', 'after');
  await waitUntil(() => out.length === 2, 'the appended line');
  assert.match(out[1]!, /app\[web\.1\]: after$/);
  abort.abort();
  await following;
});
