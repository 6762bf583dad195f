// Tests for gitd/hook-server.ts with the real hook script (hooks/hook.cjs, run by node as git runs it): what the hook
// sends (git's ref lines as the body, its environment in a header), and the refusals decided before any push work.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { PushSessions, startHookServer } from './hook-server.ts';
import type { PreReceiveDeps } from './pre-receive.ts';
import { contextOf, initTracing, ROOT_CONTEXT, startSpan } from '../core/tracing.ts';
import { createLogger } from '../core/logger.ts';

const spans = new InMemorySpanExporter();
initTracing('hook-server-test', { headers: {} }, { exporter: spans });

const hookScript = fileURLToPath(new URL('./hooks/hook.cjs', import.meta.url));
const notOurs = " !     This push did not come through the platform's git server; push to the git remote the platform gave you";

/** A hook socket in a temp data dir. The refusals tested here come before the database or bus is used. */
async function hookServer(t: TestContext): Promise<{ dataDir: string; socket: string; sessions: PushSessions }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-hooks-'));
  t.after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const socket = path.join(dataDir, 'gitd.sock');
  const sessions = new PushSessions();
  const deps = { dataDir, log: createLogger('silent'), hostEnv: { PATH: process.env.PATH } } as PreReceiveDeps;
  const server = await startHookServer(deps, sessions, socket);
  t.after(() => new Promise((resolve) => server.close(resolve)));
  return { dataDir, socket, sessions };
}

/** Runs the hook as git would: ref lines on stdin, GIT_DIR in its environment. */
function runHook(socket: string, gitDir: string, stdin: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [hookScript, 'pre-receive', socket], { env: { PATH: process.env.PATH, GIT_DIR: gitDir } });
    let stdout = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.on('error', () => undefined); // a hook that was answered early may not read all of it
    child.stdin.end(stdin);
  });
}

test('a hook for a repo with no push session open here is refused, and git gets a non-zero exit', async (t) => {
  const { dataDir, socket } = await hookServer(t);
  const line = `${'0'.repeat(40)} ${'a'.repeat(40)} refs/heads/main\n`;
  const result = await runHook(socket, path.join(dataDir, 'repos', 'shop.git'), line);
  assert.deepEqual(result, { code: 1, stdout: `${notOurs}\n` });
});

test('a ref list over the limit is refused with E_INPUT_TOO_LARGE\'s message, not read to its end', async (t) => {
  const { dataDir, socket } = await hookServer(t);
  const line = `${'0'.repeat(40)} ${'a'.repeat(40)} refs/heads/main\n`;
  const result = await runHook(socket, path.join(dataDir, 'repos', 'shop.git'), line.repeat(Math.ceil((1024 * 1024) / line.length) + 1));
  assert.equal(result.code, 1);
  assert.equal(result.stdout.split('\n')[0], ' !     The list of pushed refs is larger than 1048576 bytes');
});

test('a refused push (a tag) is paas.outcome refused on its pre-receive span and on the push receive span, both failed', async (t) => {
  const { dataDir, socket, sessions } = await hookServer(t);
  const gitDir = path.join(dataDir, 'repos', 'shop.git');
  execFileSync('git', ['init', '--quiet', '--bare', gitDir]);
  const receive = startSpan('push receive', { 'paas.transport': 'http' }, ROOT_CONTEXT);
  sessions.open({ app: 'shop', userId: 1, trace: contextOf(receive, ROOT_CONTEXT) });
  const result = await runHook(socket, gitDir, `${'0'.repeat(40)} ${'a'.repeat(40)} refs/tags/v1\n`);
  receive.end();
  assert.equal(result.code, 1);
  const byName = new Map(spans.getFinishedSpans().map((s) => [s.name, s]));
  const preReceive = byName.get('pre-receive');
  assert.equal(preReceive?.attributes['paas.outcome'], 'refused');
  assert.equal(preReceive?.parentSpanContext?.spanId, receive.spanContext().spanId);
  assert.equal(byName.get('push receive')?.attributes['paas.outcome'], 'refused');
  assert.equal(byName.get('push receive')?.status.code, SpanStatusCode.ERROR);
});
