// controller/step-spans.ts — one span per step of a build driver's output: each `-----> ` line opens a step (and
// ends the one before), so detect, install and compile show in the push's trace whatever driver ran them
// (builders/ imports nothing of ours, so it cannot make spans itself).
import { attr, currentContext, failSpan, startSpan, type Span } from '../core/tracing.ts';
import type { Say } from '../core/say.ts';

/** A step's name is the driver's line; bounded, as a build's own output can print step-like lines too. */
const maxStepName = 120;

/** At most this many step spans per build: a build's own output may print any number of step-like lines. */
const maxSteps = 200;

/**
 * Wraps `say`: the returned say opens step spans under the active span; end() closes the last one (failed, with the
 * error status, when the build failed: err), and no step opens after it.
 */
export function spanPerStep(say: Say, app: string): { say: Say; end(err?: unknown): void } {
  const parent = currentContext();
  let step: Span | undefined;
  let opened = 0;
  let closed = false;
  return {
    say: (line: string) => {
      if (!closed && opened < maxSteps && line.startsWith('-----> ')) {
        step?.end();
        opened += 1;
        step = startSpan('build step', { [attr.app]: app, 'paas.step': line.slice(7, 7 + maxStepName) }, parent);
      }
      say(line);
    },
    end: (err?: unknown) => {
      closed = true;
      if (err !== undefined) failSpan(step, err instanceof Error ? err.message : String(err));
      step?.end();
      step = undefined;
    },
  };
}
