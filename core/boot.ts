// core/boot.ts — what every platform process does first: config, logger, database (external, or the embedded one
// in the all-in-one process), the bus (NATS when NATS_URL is set, else in-process) and the outbox relay.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { MemoryBus, type Bus } from './bus.ts';
import { loadConfig, type Config } from './config.ts';
import { describeIsolation } from './isolation.ts';
import { checkIsolationHistory } from './isolation-history.ts';
import { openDb, type Db } from './db/connect.ts';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts';
import { createLogger, type Logger } from './logger.ts';
import { OutboxRelay } from './outbox.ts';
import { attachPlatformMetrics } from './metrics/platform-sources.ts';
import { metricsText, startProcessMetrics } from './metrics/registry.ts';
import { probeMetricsRefusal } from './metrics/token.ts';
import { initTracing } from './tracing.ts';
import { bridgeDiag } from './tracing-diag.ts';

export interface Platform { config: Config; log: Logger; db: Db; bus: Bus; relay: OutboxRelay; embedded?: EmbeddedDatabase; close(): Promise<void> }

/**
 * The data dir's folders that only the platform reads (repos, app logs, its sockets, the git hooks): 0700, so that
 * even a process outside every sandbox's view, under an app's uid, finds nothing there. Slugs have their own modes.
 */
export const PRIVATE_DIRS = ['repos', 'logs', 'run', 'git-hooks'] as const;

/** Prepares the data dir; its package.json keeps the platform's own "type": "module" away from app code under it. */
function prepareDataDir(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true });
  for (const name of PRIVATE_DIRS) {
    const dir = path.join(dataDir, name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700); // also for data dirs made by earlier versions
  }
  const pkg = path.join(dataDir, 'package.json');
  if (!fs.existsSync(pkg)) fs.writeFileSync(pkg, '{ "private": true, "type": "commonjs" }\n');
}

/**
 * Opens what a process shares with the others. `allowEmbedded` is for the all-in-one process: separate processes
 * must share an external PostgreSQL (DATABASE_URL) and NATS (NATS_URL), and are refused without them.
 */
export async function bootPlatform(name: string, allowEmbedded: boolean): Promise<Platform> {
  const config = loadConfig();
  // First: every span (and every log line's trace_id) from here on belongs to this process's service.
  const tracing = initTracing(name, config.tracing);
  const log = createLogger(config.logLevel, `paas-${name}`);
  bridgeDiag(log); // export failures (the collector is away) are seen in the log, not silent
  if (!allowEmbedded && (!config.databaseUrl || !config.natsUrl)) {
    throw new Error(`the ${name} process runs beside the others: set DATABASE_URL and NATS_URL (npm start runs everything in one process without them)`);
  }
  if (config.isolation.mode === 'none') {
    log.warn({ isolation: config.isolation }, describeIsolation(config.isolation));
  }
  prepareDataDir(config.dataDir);
  let embedded: EmbeddedDatabase | undefined;
  const url = config.databaseUrl ?? (embedded = await startEmbeddedPostgres(config.dataDir, log.child({ module: 'postgres' }))).url;
  const db = await openDb(url, config.dbSchema);
  try {
    await checkIsolationHistory(db, config.isolation, config.dataDir);
  } catch (err) {
    await db.destroy();
    await embedded?.stop();
    throw err;
  }
  // The NATS client loads only when NATS_URL is set: the in-process bus needs none of it.
  const bus: Bus = config.natsUrl
    ? await (await import('./nats-bus.ts')).NatsBus.connect(config.natsUrl, config.subjectPrefix, log.child({ module: 'nats' }), async (subject, payload, reason) => {
      await db('dead_letters').insert({ subject, payload, reason });
    }, { ackWaitMs: config.leaseSeconds * 1000 })
    : new MemoryBus(log.child({ module: 'bus' }));
  const relay = new OutboxRelay(db, bus, log.child({ module: 'outbox' }));
  startProcessMetrics();
  const detachMetrics = attachPlatformMetrics(db, bus);
  return {
    config, log, db, bus, relay, embedded,
    async close() {
      try {
        detachMetrics();
        await relay.stop();
        await bus.close();
        await db.destroy();
        await embedded?.stop();
      } finally {
        await tracing.shutdown(); // last (the stops above may still end spans), and even when one of them failed
      }
    },
  };
}

/**
 * A tiny HTTP server with /healthz (the process is up), /readyz (its database and bus work; the isolation mode) and
 * /metrics (this process's Prometheus metrics). /metrics wants PAAS_METRICS_TOKEN, and is off without one: the
 * port binds PAAS_HOST, and an app on the same host must not read every app's names and traffic (docs/security.md).
 */
export async function startProbes(p: Platform, port: number): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const send = (code: number, body: object) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (req.url === '/healthz') return send(200, { ok: true });
    if (req.url?.split('?')[0] === '/metrics') {
      const refusal = probeMetricsRefusal(req.headers.authorization, p.config.metrics.token);
      if (refusal) return send(401, { error: { code: 'E_UNAUTHENTICATED', message: refusal } });
      return void metricsText().then(({ contentType, body }) => { res.writeHead(200, { 'content-type': contentType }); res.end(body); },
        (err: unknown) => { p.log.error({ err }, 'metrics scrape failed'); send(500, { error: { code: 'E_INTERNAL', message: 'The metrics could not be read' } }); });
    }
    if (req.url !== '/readyz') return send(404, { error: { code: 'E_NOT_FOUND', message: 'No such route' } });
    p.db.raw('SELECT 1').then(
      () => (p.bus.ready() ? send(200, { ok: true, isolation: p.config.isolation }) : send(503, { error: { code: 'E_BUS_UNAVAILABLE', message: 'NATS is not reachable' } })),
      () => send(503, { error: { code: 'E_DATABASE_UNAVAILABLE', message: 'The database is not reachable' } }),
    );
  });
  await new Promise<void>((r) => server.listen(port, p.config.host, () => r()));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Runs `stop` once on SIGTERM or SIGINT, then exits 0. */
/** How long the stops may take after SIGTERM (the controller's grace for work in flight is 25 s of it). */
const shutdownDeadlineMs = 60_000;

function onShutdown(log: Logger, stops: Array<() => Promise<unknown>>): void {
  let stopping = false;
  let step = 0;
  const stopAll = async () => {
    for (; step < stops.length; step++) await stops[step]!();
  };
  const handler = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // A stop that never ends (a connection that never closes) must not keep the process up: a supervisor waits for it.
    setTimeout(() => {
      log.error({ step: step + 1, of: stops.length }, `shutdown did not finish within ${shutdownDeadlineMs / 1000} s; exiting`);
      process.exit(1);
    }, shutdownDeadlineMs).unref();
    stopAll().then(() => process.exit(0), (err: unknown) => { log.error({ err }, 'unclean shutdown'); process.exit(1); });
  };
  process.on('SIGTERM', () => handler('SIGTERM'));
  process.on('SIGINT', () => handler('SIGINT'));
}

/**
 * Runs a process's main. It returns what stops the process, in order; SIGTERM and SIGINT run those stops. A main
 * that fails prints `<what> failed to start: <reason>` and exits 1.
 */
export function runMain(what: string, main: () => Promise<{ log: Logger; stops: Array<() => Promise<unknown>> }>): void {
  main().then(({ log, stops }) => onShutdown(log, stops), (err: unknown) => {
    process.stderr.write(`${what} failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
