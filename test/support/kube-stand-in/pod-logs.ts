// test/support/kube-stand-in/pod-logs.ts — container logs of the stand-in: lines the test writes, served whole or
// followed (the response stays open until the container terminates or the pod goes).

export interface LogLine { time: string; text: string }

interface Stream { lines: LogLine[]; followers: Set<{ onLine(l: LogLine): void; onEnd(): void }>; ended: boolean }

export class PodLogs {
  private streams = new Map<string, Stream>();

  private stream(ns: string, pod: string, container: string): Stream {
    const key = `${ns}/${pod}/${container}`;
    let s = this.streams.get(key);
    if (!s) this.streams.set(key, (s = { lines: [], followers: new Set(), ended: false }));
    return s;
  }

  /** Writes one line, as the container would print it. */
  append(ns: string, pod: string, container: string, text: string): void {
    const s = this.stream(ns, pod, container);
    const line = { time: new Date().toISOString(), text };
    s.lines.push(line);
    for (const f of s.followers) f.onLine(line);
  }

  lines(ns: string, pod: string, container: string): LogLine[] {
    return [...this.stream(ns, pod, container).lines];
  }

  /** Follows a container's log; returns the function that stops following. onEnd fires when the container ends. */
  follow(ns: string, pod: string, container: string, onLine: (l: LogLine) => void, onEnd: () => void): () => void {
    const s = this.stream(ns, pod, container);
    if (s.ended) { onEnd(); return () => undefined; }
    const f = { onLine, onEnd };
    s.followers.add(f);
    return () => s.followers.delete(f);
  }

  /** The container terminated: followers' responses end. */
  end(ns: string, pod: string, container: string): void {
    const s = this.stream(ns, pod, container);
    s.ended = true;
    for (const f of [...s.followers]) f.onEnd();
    s.followers.clear();
  }

  /** The pod is gone: every follower of its containers ends. */
  endPod(ns: string, pod: string): void {
    for (const [key, s] of this.streams) {
      if (!key.startsWith(`${ns}/${pod}/`)) continue;
      s.ended = true;
      for (const f of [...s.followers]) f.onEnd();
      s.followers.clear();
    }
  }

  endAll(): void {
    for (const s of this.streams.values()) { for (const f of [...s.followers]) f.onEnd(); s.followers.clear(); }
  }
}
