// test/support/prometheus.ts — a real Prometheus (Debian's /usr/bin/prometheus, 2.42) for the metrics tests: a
// generated config, its own storage dir, loopback on a port it picks itself (read from its log), and its HTTP API.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './platform.ts';
import { waitFor } from './wait.ts';

export const PROMETHEUS = '/usr/bin/prometheus';

/** One scrape job: a target on loopback, its path, and the bearer token to send (if any). */
export interface ScrapeJob { name: string; target: string; path?: string; token?: string }

export interface Prometheus { url: string; output(): string; query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>; stop(): Promise<void> }

/** The generated prometheus.yml: scrape every second; the token as `authorization: credentials:`. */
export function prometheusConfig(jobs: ScrapeJob[]): string {
  const lines = ['global:', '  scrape_interval: 1s', '  scrape_timeout: 1s', 'scrape_configs:'];
  for (const j of jobs) {
    lines.push(`  - job_name: ${JSON.stringify(j.name)}`, `    metrics_path: ${JSON.stringify(j.path ?? '/metrics')}`);
    if (j.token) lines.push('    authorization:', '      type: Bearer', `      credentials: ${JSON.stringify(j.token)}`);
    lines.push('    static_configs:', `      - targets: [${JSON.stringify(j.target)}]`);
  }
  return lines.join('\n') + '\n';
}

/** Starts Prometheus scraping `jobs`; throws, saying so, when it is not installed (.ci/run installs it). */
export async function startPrometheus(jobs: ScrapeJob[]): Promise<Prometheus> {
  if (!fs.existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is not installed (apt-get install prometheus; .ci/run installs it)`);
  const dir = tempDir('paas-prom-');
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), prometheusConfig(jobs));
  const child = spawn(PROMETHEUS, [
    `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
    '--web.listen-address=127.0.0.1:0', '--log.level=info',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited; }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    // Port 0: Prometheus logs the address it bound ("Listening on" address=127.0.0.1:NNNNN).
    const port = await waitFor(() => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${out}`);
      return /msg="Listening on" address=127\.0\.0\.1:(\d+)/.exec(out)?.[1];
    }, 30_000, 'prometheus to listen');
    const url = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${url}/-/ready`)).ok, 30_000, 'prometheus to be ready');
    return {
      url, output: () => out, stop,
      async query(expr) {
        const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = await res.json() as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
        if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
        return body.data.result;
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Each active target's health and last scrape error, by job; after its first scrape (health "unknown" before). */
export async function targetHealth(prom: Prometheus): Promise<Record<string, { health: string; lastError: string }>> {
  const body = await (await fetch(`${prom.url}/api/v1/targets?state=active`)).json() as {
    data: { activeTargets: Array<{ health: string; lastError: string; labels: Record<string, string> }> };
  };
  return Object.fromEntries(body.data.activeTargets.map((t) => [t.labels.job!, { health: t.health, lastError: t.lastError }]));
}

/** Waits until every target has been scraped at least once (its health is "up" or "down"); returns their health. */
export async function scrapedTargets(prom: Prometheus, count: number, timeoutMs = 30_000): ReturnType<typeof targetHealth> {
  return waitFor(async () => {
    const health = await targetHealth(prom);
    const done = Object.values(health).filter((t) => t.health !== 'unknown');
    if (done.length !== count) throw new Error(`targets so far: ${JSON.stringify(health)}`);
    return health;
  }, timeoutMs, `${count} Prometheus targets scraped`);
}
