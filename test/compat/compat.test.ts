// test/compat/compat.test.ts — compatibility, measured: pushes each sample app of test/compat/apps (written the way
// Heroku's and Dokku's documentation shows) to one platform per mode and runs the check its author would run. Local
// mode always; Docker mode (PAAS_RUNTIME=docker) when an Engine answers. Each sample is a subtest per mode, and each
// mode ends with one line: `compat <mode> mode: N/M samples pass`. test/compat/README.md lists the samples.
import { describe, test, before, after } from 'node:test';
import { dockerSkip } from '../support/docker-engine.ts';
import { compatCases } from './cases.ts';
import { startCompat, stopCompat, type CompatContext, type CompatModeName } from './harness.ts';

const noEngine = await dockerSkip();

function compatRun(mode: CompatModeName, skip: false | string): void {
  describe(`compat: ${mode} mode`, { skip }, () => {
    let ctx: CompatContext | undefined;
    // A platform that cannot start fails each sample with the reason, so the count stays per sample.
    let startError: Error | undefined;
    const passed: string[] = [];
    const notes: string[] = [];

    before(async () => {
      try { ctx = await startCompat(mode, !noEngine); } catch (err) { startError = err as Error; }
    });
    after(async () => {
      for (const line of notes) console.log(`compat ${mode} mode: ${line}`);
      const failed = compatCases.filter((c) => !passed.includes(c.app)).map((c) => c.app);
      const why = startError ? `; the platform did not start: ${startError.message}` : '';
      console.log(`compat ${mode} mode: ${passed.length}/${compatCases.length} samples pass${failed.length ? ` (failing: ${failed.join(', ')}${why})` : ''}`);
      await stopCompat(ctx);
    });

    for (const c of compatCases) {
      test(`${c.app}: ${c.expects}`, async () => {
        if (!ctx) throw new Error(`the ${mode} platform did not start: ${startError?.message}`);
        await c.check(ctx, (line) => notes.push(line));
        passed.push(c.app);
      });
    }
  });
}

compatRun('local', false);
compatRun('docker', noEngine);
if (noEngine) console.log(`compat docker mode: skipped (${noEngine})`);
