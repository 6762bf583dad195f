// runtime/kubernetes/logs.ts — container logs: follow one container as it writes (build and release
// Jobs stream into the push this way), read a container's last lines (for a failed rollout), and follow an app's
// pods across replicas and rollouts (`logs APP -t`).
import { PassThrough } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import type { LogOptions } from '../reader.ts';
import { statusOf, type Kube } from './client.ts';
import { annotationKeys } from './names.ts';
import { podInformer } from './watch.ts';

type ContainerState = { running?: unknown; terminated?: { exitCode?: number; message?: string; reason?: string }; waiting?: { reason?: string; message?: string } };

/** A container's state in a pod (init or main), from the typed client or a watch. */
export function containerState(pod: V1Pod | undefined, container: string): ContainerState | undefined {
  const all = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
  return all.find((c) => c.name === container)?.state as ContainerState | undefined;
}

/** Streams one request of a container's log; resolves when the server ends it. Lines keep their timestamps. */
async function streamOnce(kube: Kube, ns: string, pod: string, container: string, sinceTime: string | undefined, onLine: (stamp: string, text: string) => void, signal?: AbortSignal): Promise<void> {
  const out = new PassThrough();
  let partial = '';
  out.setEncoding('utf8');
  out.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      const space = l.indexOf(' ');
      onLine(l.slice(0, space), l.slice(space + 1).replace(/\r$/, ''));
    }
  });
  const ended = new Promise<void>((resolve) => { out.on('end', resolve); out.on('finish', resolve); out.on('close', resolve); });
  const ctl = await kube.log.log(ns, pod, container, out, { follow: true, timestamps: true, ...(sinceTime ? { sinceTime } : {}) });
  const onAbort = () => { ctl.abort(); out.end(); };
  signal?.addEventListener('abort', onAbort, { once: true });
  await ended;
  signal?.removeEventListener('abort', onAbort);
  if (partial) { const space = partial.indexOf(' '); onLine(partial.slice(0, space), partial.slice(space + 1)); }
}

/** Waits until a pod's container has started (running or terminated); returns the pod then. */
export async function waitForContainer(kube: Kube, ns: string, pod: string, container: string, signal?: AbortSignal): Promise<V1Pod> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void) => { if (settled) return; settled = true; void pods.stop(); signal?.removeEventListener('abort', onAbort); fn(); };
    let seen = false;
    const pods = podInformer(kube, ns, { fieldSelector: `metadata.name=${pod}` }, () => {
      const p = pods.get(pod, ns);
      if (!p) {
        if (seen) finish(() => reject(new Error(`pod ${pod} was deleted before its container ${container} ran to the end`)));
        return;
      }
      seen = true;
      const state = containerState(p, container);
      if (state?.running || state?.terminated || p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded') finish(() => resolve(p));
    });
    const onAbort = () => finish(() => reject(new Error('aborted')));
    signal?.addEventListener('abort', onAbort, { once: true });
    pods.start().catch((err: unknown) => finish(() => reject(err)));
  });
}

/**
 * Follows a container's log from its start until it terminates, calling onLine for each line as it is written.
 * Reconnects (from the last timestamp, skipping lines already seen) when the server ends a stream early.
 */
export async function followContainer(kube: Kube, ns: string, pod: string, container: string, onLine: (text: string) => void, signal?: AbortSignal): Promise<V1Pod> {
  let last: string | undefined;
  let seenAtLast = new Set<string>();
  for (;;) {
    const p = await waitForContainer(kube, ns, pod, container, signal);
    const state = containerState(p, container);
    if (!state?.running && !state?.terminated) return p; // the pod ended before this container ever ran
    try {
      await streamOnce(kube, ns, pod, container, last, (stamp, text) => {
        if (last !== undefined && stamp < last) return;
        if (stamp === last && seenAtLast.has(text)) return;
        if (stamp !== last) { last = stamp; seenAtLast = new Set(); }
        seenAtLast.add(text);
        onLine(text);
      }, signal);
    } catch (err) {
      if (statusOf(err) !== 400) throw err; // 400: the container is not running (yet, or any more); look again
    }
    const now = await kube.core.readNamespacedPod({ namespace: ns, name: pod });
    if (containerState(now, container)?.terminated || signal?.aborted || now.status?.phase === 'Failed' || now.status?.phase === 'Succeeded') return now;
  }
}

/** The last `lines` lines a container wrote (its previous run's with `previous`); empty when there is none. */
export async function tailContainer(kube: Kube, ns: string, pod: string, container: string, lines: number, previous = false, timestamps = false): Promise<string[]> {
  const out = new PassThrough();
  let text = '';
  out.setEncoding('utf8');
  out.on('data', (c: string) => { text += c; });
  const ended = new Promise<void>((resolve) => { out.on('finish', resolve); out.on('close', resolve); });
  try {
    await kube.log.log(ns, pod, container, out, { follow: false, tailLines: lines, previous, timestamps });
  } catch {
    if (previous) return tailContainer(kube, ns, pod, container, lines, false, timestamps);
    return [];
  }
  await ended;
  return text.split('\n').filter((l) => l !== '').slice(-lines);
}

/** The `logs` source of a pod: `<type>.<pod suffix>`, e.g. web.x2k4q (Heroku says web.1; pods have no index). */
export function podSource(pod: V1Pod): string {
  const type = pod.metadata?.annotations?.[annotationKeys.processType] ?? pod.metadata?.labels?.['app.kubernetes.io/component'] ?? 'app';
  const name = pod.metadata?.name ?? '';
  return `${type}.${name.slice(name.lastIndexOf('-') + 1)}`;
}

/** Prints an app's recent log lines across its pods, then (follow) every new line of every pod, old or new, until aborted. */
export async function followAppLogs(kube: Kube, ns: string, selector: string, opts: LogOptions, out: (line: string) => void): Promise<void> {
  const format = (pod: V1Pod, stamp: string, text: string) => `${stamp} app[${podSource(pod)}]: ${text}`;
  const pods = (await kube.core.listNamespacedPod({ namespace: ns, labelSelector: selector }).catch(() => ({ items: [] as V1Pod[] }))).items;
  const recent: Array<[string, string]> = [];
  for (const pod of pods) {
    for (const c of pod.spec?.containers ?? []) {
      for (const line of await tailContainer(kube, ns, pod.metadata!.name!, c.name, opts.lines, false, true)) {
        const space = line.indexOf(' ');
        recent.push([line.slice(0, space), format(pod, line.slice(0, space), line.slice(space + 1))]);
      }
    }
  }
  recent.sort(([a], [b]) => a.localeCompare(b)).slice(-opts.lines).forEach(([, l]) => out(l));
  opts.onTailEnd?.();
  if (!opts.follow) return;
  const since = new Date().toISOString();
  const followed = new Set<string>();
  const lastStamp = new Map<string, string>();
  const live = podInformer(kube, ns, { labelSelector: selector }, () => {
    for (const pod of live.list()) {
      for (const c of pod.spec?.containers ?? []) {
        const key = `${pod.metadata?.name}/${c.name}`;
        if (followed.has(key) || !containerState(pod, c.name)?.running) continue;
        followed.add(key);
        const from = lastStamp.get(key) ?? since;
        void streamOnce(kube, ns, pod.metadata!.name!, c.name, from, (stamp, text) => {
          if (stamp < from) return;
          lastStamp.set(key, stamp);
          out(format(pod, stamp, text));
        }, opts.signal)
          .catch(() => undefined) // a pod that goes away ends its stream; the others go on
          .finally(() => followed.delete(key));
      }
    }
  });
  await live.start();
  await new Promise<void>((resolve) => {
    if (opts.signal.aborted) resolve();
    opts.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await live.stop();
}
