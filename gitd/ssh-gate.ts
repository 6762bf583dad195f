// gitd/ssh-gate.ts — the TCP front of the SSH server: caps connections per client address and in all, and closes
// a connection that has not signed in within the handshake timeout. Security boundary: a flood of banner-only or
// silent connections holds at most `sshMaxConnections` sockets, each for at most the handshake timeout, so the
// process keeps file descriptors for healthz, the dashboard and the router (issue 8 §5).
import net from 'node:net';
import type { GitLimits } from '../core/git-limits.ts';
import type { Logger } from '../core/logger.ts';

export interface SshGate {
  /** The listening socket (the ssh2 server itself never listens). */
  server: net.Server;
  /** Called when a connection has signed in: its handshake timer stops. */
  signedIn(address: string | undefined, port: number | undefined): void;
  /** On shutdown: ends every connection that has not signed in (they would otherwise hold close() up). */
  dropUnsignedIn(): void;
}

type Limits = Pick<GitLimits, 'sshHandshakeTimeoutMs' | 'sshMaxPerAddress' | 'sshMaxConnections'>;

/** Counts open connections per address; `take` says whether one more may open. */
export class ConnectionCounter {
  private perAddress = new Map<string, number>();
  private total = 0;
  constructor(private maxPerAddress: number, private maxTotal: number) {}
  take(address: string): boolean {
    const mine = this.perAddress.get(address) ?? 0;
    if (this.total >= this.maxTotal || mine >= this.maxPerAddress) return false;
    this.perAddress.set(address, mine + 1);
    this.total++;
    return true;
  }
  give(address: string): void {
    const mine = (this.perAddress.get(address) ?? 1) - 1;
    if (mine <= 0) this.perAddress.delete(address); else this.perAddress.set(address, mine);
    this.total--;
  }
  size(): number { return this.total; }
}

/** Creates the gate; each accepted socket is handed on with `hand` (the ssh2 server's injectSocket). */
export function createSshGate(hand: (socket: net.Socket) => void, limits: Limits, log: Logger): SshGate {
  const counter = new ConnectionCounter(limits.sshMaxPerAddress, limits.sshMaxConnections);
  const handshakes = new Map<string, { timer: NodeJS.Timeout; socket: net.Socket }>();
  let refusedSinceLog = 0;
  const server = net.createServer((socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    // Over a cap: closed before any SSH work (no banner, no key exchange), so refusing costs next to nothing.
    if (!counter.take(address)) {
      socket.destroy();
      if (refusedSinceLog++ === 0) setTimeout(() => { log.warn({ refused: refusedSinceLog }, 'ssh connections refused over the connection limits'); refusedSinceLog = 0; }, 10_000).unref();
      return;
    }
    const key = `${address}|${socket.remotePort}`;
    const timer = setTimeout(() => socket.destroy(), limits.sshHandshakeTimeoutMs);
    handshakes.set(key, { timer, socket });
    socket.once('close', () => { clearTimeout(timer); handshakes.delete(key); counter.give(address); });
    socket.on('error', () => undefined);
    hand(socket);
  });
  return {
    server,
    signedIn(address, port) {
      const key = `${address}|${port}`;
      clearTimeout(handshakes.get(key)?.timer);
      handshakes.delete(key);
    },
    dropUnsignedIn() {
      for (const { socket } of handshakes.values()) socket.destroy();
    },
  };
}
