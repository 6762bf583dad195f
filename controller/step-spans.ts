// controller/step-spans.ts — one span per step of a build driver's output: each `-----> ` line opens a step (and
// ends the one before), so detect, install and compile show in the push's trace whatever driver ran them
// (builders/ imports nothing of ours, so it cannot make spans itself).
import { attr, currentContext, startSpan, type Span } from '../core/tracing.ts';
import type { Say } from '../core/say.ts';

/** A step's name is the driver's line; bounded, as a build's own output can print step-like lines too. */
const maxStepName = 120;

/** Wraps `say`: the returned say opens step spans under the active span; end() closes the last one. */
export function spanPerStep(say: Say, app: string): { say: Say; end(): void } {
  const parent = currentContext();
  let step: Span | undefined;
  return {
    say: (line: string) => {
      if (line.startsWith('-----> ')) {
        step?.end();
        step = startSpan('build step', { [attr.app]: app, 'paas.step': line.slice(7, 7 + maxStepName) }, parent);
      }
      say(line);
    },
    end: () => { step?.end(); step = undefined; },
  };
}
