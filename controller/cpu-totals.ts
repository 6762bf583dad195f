// controller/cpu-totals.ts — paas_app_cpu_seconds_total as a counter that never goes down: the usage board holds each
// instance's own cumulative CPU, and their sum drops when an instance restarts, a deploy replaces it or a scale-down
// removes it (Prometheus would read a counter reset). Used by controller/app-metrics.ts.
import type { ProcessUsage } from '../runtime/usage.ts';
import type { Sample } from '../core/metrics/registry.ts';

const SEP = '\u0000';

/** Running CPU totals per app and type, fed the usage board's readings; only increases are added. */
export class CpuTotals {
  /** Per app+type+index: the instance last seen there and its last cumulative CPU. */
  private last = new Map<string, { instance: string; cpu: number }>();
  /** Per app+type: the seconds added so far (vanished instances keep what they added). */
  private totals = new Map<string, number>();

  /**
   * Adds a reading's increases (a new instance adds all it has used); returns the totals. Forgets apps not in `apps`,
   * and types with no instance in the reading: the `type` label stays bounded by what runs (a type dropped from the
   * Procfile or scaled to 0 ends its series; scaled up again, it starts a new one, which rate() reads as a reset).
   */
  update(usage: readonly ProcessUsage[], apps: ReadonlySet<string>): Sample[] {
    const running = new Set(usage.filter((u) => apps.has(u.app)).map((u) => `${u.app}${SEP}${u.type}`));
    for (const u of usage) {
      if (!apps.has(u.app)) continue;
      const slot = [u.app, u.type, u.index].join(SEP);
      const instance = u.instance ?? '';
      const prev = this.last.get(slot);
      const added = !prev || prev.instance !== instance ? u.cpuSeconds : Math.max(0, u.cpuSeconds - prev.cpu);
      const kind = `${u.app}${SEP}${u.type}`;
      this.totals.set(kind, (this.totals.get(kind) ?? 0) + added);
      // A counter read lower for the same instance (a sampling quirk) must not be added again when it climbs back.
      this.last.set(slot, { instance, cpu: prev && prev.instance === instance ? Math.max(prev.cpu, u.cpuSeconds) : u.cpuSeconds });
    }
    this.forgetExcept(apps, running);
    return [...this.totals].map(([kind, value]) => {
      const [app, type] = kind.split(SEP) as [string, string];
      return { labels: { app, type }, value };
    });
  }

  /** Drops the state of apps that no longer exist (a re-created app starts from 0) and of types that no longer run. */
  private forgetExcept(apps: ReadonlySet<string>, running: ReadonlySet<string>): void {
    for (const map of [this.last, this.totals] as Array<Map<string, unknown>>) {
      for (const key of map.keys()) {
        const [app, type] = key.split(SEP) as [string, string];
        if (!apps.has(app) || !running.has(`${app}${SEP}${type}`)) map.delete(key);
      }
    }
  }
}
