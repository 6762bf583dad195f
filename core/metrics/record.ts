// core/metrics/record.ts — what gitd and the controller call as things happen: a push's verdict, a build's and a
// deploy's duration, a push lock taken or refused. The label values are bounded here (catalogue.ts).
import { bounded, LABEL_VALUES } from './catalogue.ts';
import { counter, histogram } from './registry.ts';

export type PushOutcome = (typeof LABEL_VALUES.pushOutcome)[number];
export type PipelineOutcome = (typeof LABEL_VALUES.pipelineOutcome)[number];

/** Counts a push by the pre-receive hook's verdict. */
export function recordPush(outcome: PushOutcome): void {
  counter('paas_pushes_total').inc({ outcome: bounded(outcome, LABEL_VALUES.pushOutcome) });
}

/** Observes a build's duration; `stack` must already be one of the builders' stacks or 'other'. */
export function recordBuild(stack: string, outcome: PipelineOutcome, seconds: number): void {
  histogram('paas_build_duration_seconds').observe({ stack, outcome: bounded(outcome, LABEL_VALUES.pipelineOutcome) }, seconds);
}

/** Observes a deploy's duration; `stack` as for recordBuild. */
export function recordDeploy(stack: string, outcome: PipelineOutcome, seconds: number): void {
  histogram('paas_deploy_duration_seconds').observe({ stack, outcome: bounded(outcome, LABEL_VALUES.pipelineOutcome) }, seconds);
}

/** Observes the time a push lock took to be taken or refused; a refusal is also counted. */
export function recordPushLock(result: 'acquired' | 'refused', seconds: number): void {
  histogram('paas_push_lock_wait_seconds').observe({ result }, seconds);
  if (result === 'refused') counter('paas_push_lock_refusals_total').inc();
}

/**
 * A push refused because another push held the app's lock: the lock's refusal, and the push counted `refused` (the
 * pre-receive hook never runs for it, so this is its one count).
 */
export function recordPushLockRefusal(seconds: number): void {
  recordPushLock('refused', seconds);
  recordPush('refused');
}

/** Seconds since a `performance.now()` reading. */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
