// bench/tracing-spans.ts — the CPU cost of the tracing machinery alone for one push's worth of spans (the tree of
// docs/tracing.md, 16 spans), exported to a loopback OTLP receiver vs not recorded (no endpoint), each in its own
// process (the provider is installed once per process). Steadier than bench/tracing.ts's wall time on a busy machine.
// Run: node --import tsx bench/tracing-spans.ts [pushes]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver } from '../test/support/otlp-receiver.ts';
import { initTracing, withSpan } from '../core/tracing.ts';

const pushes = Number(process.argv[2] ?? 500);

/** The span tree of one push: receive → pre-receive → build (5 steps) → release → deploy (5 children). */
async function onePush(): Promise<void> {
  await withSpan('push receive', { 'paas.app': 'shop' }, () => withSpan('pre-receive', { 'paas.app': 'shop' }, () =>
    withSpan('build', { 'paas.app': 'shop', 'paas.build.number': 1 }, async () => {
      for (let i = 0; i < 5; i++) await withSpan('build step', { 'paas.step': 'Installing dependencies with npm install' }, () => undefined);
      await withSpan('release', { 'paas.release.version': 1 }, () => withSpan('deploy', { 'paas.release.version': 1 }, async () => {
        for (let i = 0; i < 5; i++) await withSpan('instance start', { 'paas.process.type': 'web', 'paas.process.index': 1 }, () => undefined);
      }));
    })));
}

/** In a child: CPU ms per push, exports included (the last batch is flushed inside the measurement). */
async function measure(mode: 'on' | 'off'): Promise<void> {
  const receiver = await startOtlpReceiver();
  const tracing = initTracing('bench', { endpoint: mode === 'on' ? `${receiver.endpoint}/v1/traces` : undefined, headers: {} });
  for (let i = 0; i < 50; i++) await onePush(); // warm-up
  const t0 = process.cpuUsage();
  for (let i = 0; i < pushes; i++) {
    await onePush();
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 20)); // let the batch exporter run, as between pushes
  }
  await tracing.shutdown();
  const used = process.cpuUsage(t0);
  process.stdout.write(JSON.stringify({ ms: (used.user + used.system) / 1000 / pushes, spans: receiver.spans.length }));
  await receiver.close();
}

if (process.argv[3] === 'on' || process.argv[3] === 'off') {
  await measure(process.argv[3]);
} else {
  const run = (mode: string) => JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), String(pushes), mode], { encoding: 'utf8' }));
  const [off, on] = [run('off'), run('on')];
  console.log(`${pushes} pushes' worth of spans (16 each), CPU per push: off ${off.ms.toFixed(3)} ms, on (OTLP export) ${on.ms.toFixed(3)} ms; `
    + `difference ${(on.ms - off.ms).toFixed(3)} ms per push (${on.spans} spans received)`);
}
