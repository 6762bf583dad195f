// runtime/kubernetes/build-stack.test.ts — the Kubernetes build driver learns the stack from the builder pod's
// detection line, so a build that fails afterwards is labelled with its stack in the metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stacks } from '../../builders/detect.ts';
import { stackOfDetectionLine } from './build-job.ts';

test('stackOfDetectionLine reads every stack from its "-----> <label> app detected" line, and nothing else', () => {
  for (const s of stacks) assert.equal(stackOfDetectionLine(`-----> ${s.label} app detected`), s.name);
  assert.equal(stackOfDetectionLine('-----> COBOL app detected'), undefined);
  assert.equal(stackOfDetectionLine('       -----> Node.js app detected'), undefined, "an app's own output, indented");
  assert.equal(stackOfDetectionLine('-----> Building the image with Kaniko'), undefined);
});
