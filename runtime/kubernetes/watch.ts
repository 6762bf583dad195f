// runtime/kubernetes/watch.ts — a live view of a collection of objects kept current by a watch: starts
// with the collection's current objects, follows ADDED/MODIFIED/DELETED, and reconnects from the last
// resourceVersion when the server closes the stream (starting over on 410 Gone). Rollouts and log followers use it.
import type { Kube } from './client.ts';

interface Meta { metadata?: { name?: string; resourceVersion?: string } }

/** The objects of one watched collection, by name; onChange runs after every event. */
export class LiveSet<T extends Meta> {
  readonly items = new Map<string, T>();
  private lastVersion?: string;
  private abort?: AbortController;
  private stopped = false;
  private failures = 0;
  /** Which connection is current: callbacks of an aborted one are ignored. */
  private conn = 0;

  constructor(
    private kube: Kube,
    private path: string,
    private query: Record<string, string | undefined>,
    private onChange: () => void,
    private onError: (err: unknown) => void = () => undefined,
  ) {}

  /** Starts watching; resolves once the watch is connected. */
  async start(): Promise<void> {
    await this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const id = ++this.conn;
    const query = { ...this.query, resourceVersion: this.lastVersion, allowWatchBookmarks: 'true' };
    this.abort = await this.kube.watch.watch(this.path, query, (type: string, obj: T) => {
      if (id !== this.conn) return;
      this.failures = 0;
      if (obj?.metadata?.resourceVersion) this.lastVersion = obj.metadata.resourceVersion;
      if (type === 'BOOKMARK') return;
      if (type === 'ERROR') { this.restart((obj as { code?: number })?.code === 410); return; }
      const name = obj.metadata?.name;
      if (!name) return;
      if (type === 'DELETED') this.items.delete(name);
      else this.items.set(name, obj);
      this.onChange();
    }, (err: unknown) => {
      if (this.stopped || id !== this.conn) return;
      if (err && (err as { statusCode?: number }).statusCode === 410) { this.restart(true); return; }
      if (err) this.onError(err);
      this.restart(false);
    });
  }

  /** Reconnects after the stream ended (servers close watches now and then); on 410 the view starts over. */
  private restart(gone: boolean): void {
    if (this.stopped) return;
    this.conn++;
    this.abort?.abort();
    if (gone) { this.lastVersion = undefined; this.items.clear(); }
    const delay = Math.min(5000, 200 * 2 ** this.failures++);
    setTimeout(() => void this.connect().catch((err: unknown) => { this.onError(err); this.restart(false); }), delay).unref();
  }
}
