// Tests for controller/step-spans.ts: one span per `-----> ` line, none after end(), a failed build's last step failed,
// and at most 200 per build.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { initTracing, withSpan } from '../core/tracing.ts';
import { spanPerStep } from './step-spans.ts';

const spans = new InMemorySpanExporter();
initTracing('step-spans-test', { headers: {} }, { exporter: spans });

test('a step line after end() opens no span; end(err) marks the last step failed; every step span ends', async () => {
  spans.reset();
  const said: string[] = [];
  let steps: ReturnType<typeof spanPerStep> | undefined;
  await withSpan('compile', {}, () => {
    steps = spanPerStep((l) => said.push(l), 'shop');
    steps.say('-----> Node.js app detected');
    steps.say('-----> Installing dependencies');
    steps.end(new Error('npm install failed'));
  });
  steps!.say('-----> late line from a stray callback');
  const done = spans.getFinishedSpans().filter((s) => s.name === 'build step');
  assert.deepEqual(done.map((s) => s.attributes['paas.step']), ['Node.js app detected', 'Installing dependencies']);
  assert.deepEqual(done.map((s) => s.status.code), [SpanStatusCode.UNSET, SpanStatusCode.ERROR]);
  assert.equal(done[1]!.status.message, 'npm install failed');
  assert.equal(said.length, 3, 'the late line is still said');
});

test('a build opens at most 200 step spans, however many step-like lines it prints', async () => {
  spans.reset();
  await withSpan('compile', {}, () => {
    const steps = spanPerStep(() => {}, 'shop');
    for (let i = 0; i < 1000; i++) steps.say(`-----> step ${i}`);
    steps.end();
  });
  assert.equal(spans.getFinishedSpans().filter((s) => s.name === 'build step').length, 200);
});
