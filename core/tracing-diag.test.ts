// Tests for core/tracing-diag.ts: OpenTelemetry's warnings and errors reach the log at warn level, one line per kind a
// minute at most, with the count of those left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from './logger.ts';
import { rateLimitedDiag } from './tracing-diag.ts';

function capture(): { lines: Array<Record<string, unknown>>; dest: Writable } {
  const lines: Array<Record<string, unknown>> = [];
  const dest = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { lines, dest };
}

test('export failures are logged at warn, at most one line per kind a minute, the next one counting those left out', async () => {
  const { lines, dest } = capture();
  let clock = 1_000_000;
  const diag = rateLimitedDiag(createLogger('info', 'paas-test', dest), () => clock);
  const failure = new Error('connect ECONNREFUSED 127.0.0.1:4318');
  for (let i = 0; i < 50; i++) diag.error('{"stack":"OTLPExporterError: Request failed"}', failure);
  diag.warn('Dropped 10 spans because maxQueueSize reached');
  diag.info('a chatty info line');
  clock += 61_000;
  diag.error('{"stack":"OTLPExporterError: Request failed"}', failure);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines.map((l) => [l.level, l.msg, l.dropped]), [
    [40, 'tracing: {"stack":"OTLPExporterError: Request failed"}', undefined],
    [40, 'tracing: Dropped 10 spans because maxQueueSize reached', undefined],
    [40, 'tracing: {"stack":"OTLPExporterError: Request failed"}', 49],
  ]);
  assert.equal((lines[0]!.err as { message: string }).message, failure.message);
});
