// runtime/docker/adopt.test.ts — what a restore adopts and removes (planAdoption), and how a `die` event is read
// from the Engine's event stream (dieExitCode): pure functions, no Engine needed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Docker from 'dockerode';
import { spec } from '../../test/support/docker-runtime.ts';
import { planAdoption } from './adopt.ts';
import { labels } from './names.ts';
import { dieExitCode } from './processes.ts';

const now = Date.UTC(2026, 0, 1);

function container(id: string, role: string, state: string, ageSeconds: number, extra: Record<string, string> = {}): Docker.ContainerInfo {
  return {
    Id: id, State: state, Created: now / 1000 - ageSeconds,
    Labels: { [labels.role]: role, [labels.release]: '2', [labels.type]: role === 'process' ? 'web' : role, [labels.index]: '1', ...extra },
  } as unknown as Docker.ContainerInfo;
}

test('planAdoption leaves one-offs to their runner until they are older than the run timeout, then removes them', () => {
  const found = [
    container('web', 'process', 'running', 10),
    container('run-young', 'run', 'running', 10),
    container('run-ended', 'run', 'exited', 10),
    container('run-orphan', 'run', 'running', 3600 + 120),
    container('release-left', 'release', 'exited', 10),
  ];
  const plan = planAdoption(found, spec('a', 2, 'img', { web: ['x', 1] }), 3600_000, now);
  assert.deepEqual(plan.keep.map((c) => c.Id), ['web']);
  assert.deepEqual(plan.remove.map((c) => c.Id).sort(), ['release-left', 'run-orphan']);
});

test('dieExitCode reads a whole die event and ignores a partial line or another event', () => {
  const line = JSON.stringify({ status: 'die', Action: 'die', Actor: { Attributes: { exitCode: '3' } } });
  assert.equal(dieExitCode(line), 3);
  assert.equal(dieExitCode(line.slice(0, 30)), undefined);
  assert.equal(dieExitCode(JSON.stringify({ Action: 'start', Actor: { Attributes: { name: '"die"' } } })), undefined);
});
