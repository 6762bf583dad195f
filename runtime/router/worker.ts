// runtime/router/worker.ts — the router engine's worker thread entry: applies the facade's state messages in order,
// runs the HTTP and HTTPS listeners (SNI from the certificates it was given) and hands each connection to
// connection.ts. It shares no event loop with builds, git or the dashboard.
import net from 'node:net';
import tls from 'node:tls';
import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { limitConnectionsPerClient } from '../../core/http-limits.ts';
import { ClientConnection } from './connection.ts';
import { Edge } from './edge.ts';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.ts';
import { lookupByHost, toHostName, type CertificatePem } from './table.ts';

const init = workerData as WorkerInit;
const edge = new Edge(init.baseDomain, init.limits, init.upstreamTimeoutMs);
const servers: net.Server[] = [];
let applied = 0;

function reply(message: FromWorker): void {
  init.port.postMessage(message);
}

/**
 * Handles what the facade posted and this thread has not seen yet. Called before each request is routed, so a
 * request that reaches the router after setRoute returned is routed by the new table, whatever the message queue does.
 */
edge.sync = () => {
  while (Atomics.load(init.posted, 0) !== applied) {
    const next = receiveMessageOnPort(init.port);
    if (next === undefined) break;
    handle(next.message as ToWorker);
  }
};

function handle(msg: ToWorker): void {
  applied++;
  const table = edge.table;
  switch (msg.t) {
    case 'load':
      table.load(msg.state);
      for (const [host, pem] of msg.state.certificates) setCertificate(host, pem);
      break;
    case 'route': {
      const before = new Set(table.route(msg.app)?.backends ?? []);
      table.setRoute(msg.app, msg.backends);
      edge.retireUnrouted();
      if (before.size > 0 && msg.backends.some((p) => !before.has(p))) edge.rebalance(msg.app);
      break;
    }
    case 'unroute': table.removeRoute(msg.app); edge.retireUnrouted(); break;
    case 'forget': edge.stats.drop(msg.app); break;
    case 'domains': table.setDomains(msg.app, msg.hosts); break;
    case 'cert': setCertificate(msg.host, msg.pem); break;
    case 'challenge': table.setChallenge(msg.token, msg.value); break;
    case 'options': table.setAppOptions(msg.app, msg.options); break;
    case 'platform': table.setPlatformRoute(msg.hosts, msg.port, msg.secret); edge.retireUnrouted(); break;
    case 'listen':
      listen(msg.port, msg.host, msg.tls).then(
        (port) => reply({ t: 'reply', id: msg.id, value: port }),
        (err: Error) => reply({ t: 'reply', id: msg.id, error: err.message }),
      );
      break;
    case 'drain': void edge.drain(msg.ports, msg.timeoutMs).then(() => reply({ t: 'reply', id: msg.id })); break;
    case 'stats': reply({ t: 'reply', id: msg.id, value: edge.stats.snapshot(edge.connections.size) }); break;
    case 'close': void close().then(() => reply({ t: 'reply', id: msg.id })); break;
  }
}

/** Builds the TLS context now, so a bad certificate is reported when it is set, not at a client's handshake. */
function setCertificate(host: string, pem: CertificatePem | undefined): void {
  const name = toHostName(host);
  if (pem === undefined) {
    edge.certificates.delete(name);
    return;
  }
  try {
    edge.certificates.set(name, tls.createSecureContext({ cert: pem.cert, key: pem.key }));
  } catch (err) {
    edge.certificates.delete(name);
    reply({ t: 'log', message: `router: the certificate for ${name} is not usable: ${(err as Error).message}` });
  }
}

/** SNI: the certificate for the name the client asked for (exact, then wildcard); none fails the handshake. */
function sniCallback(servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void {
  const ctx = lookupByHost(edge.certificates, toHostName(servername));
  if (ctx) cb(null, ctx);
  else cb(new Error(`no certificate for ${servername}`));
}

function listen(port: number, host: string | undefined, secure: boolean): Promise<number> {
  const limits = edge.limits;
  const server = secure
    ? tls.createServer({ SNICallback: sniCallback, ALPNProtocols: ['http/1.1'], allowHalfOpen: true, handshakeTimeout: limits.headersTimeoutMs })
    : net.createServer({ allowHalfOpen: true });
  // The cap counts raw TCP connections, so it applies before a TLS handshake is spent on them.
  limitConnectionsPerClient(server, limits.maxConnectionsPerClient);
  server.on(secure ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    if (!socket.destroyed) new ClientConnection(edge, socket, secure);
  });
  if (secure) server.on('tlsClientError', () => {});
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // An accept error (EMFILE: out of file descriptors) is reported, never thrown: the router keeps serving.
      server.on('error', (err) => reply({ t: 'log', message: `router: ${err.message}` }));
      servers.push(server);
      const bound = (server.address() as net.AddressInfo).port;
      if (secure) edge.tlsPort = bound;
      resolve(bound);
    });
  });
}

async function close(): Promise<void> {
  edge.stop();
  const closing = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
  for (const c of [...edge.connections]) c.client.destroy();
  await Promise.all(closing);
}

init.port.on('message', (msg: ToWorker) => handle(msg));
edge.start();
