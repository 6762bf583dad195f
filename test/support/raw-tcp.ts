// test/support/raw-tcp.ts — bare TCP clients for the connection-limit tests: what a flood or a banner-only client
// does, with when the server first spoke and when it closed the connection.
import net from 'node:net';

export interface RawConnection {
  socket: net.Socket;
  /** Resolves with the first bytes the server sent, or null if it closed without sending any. */
  firstData: Promise<Buffer | null>;
  /** Resolves with the ms from connect to the server's close. */
  closed: Promise<number>;
}

/** Opens a TCP connection (from `localAddress`, e.g. 127.0.0.7, when given) and optionally writes `send`. */
export function rawConnect(port: number, opts: { localAddress?: string; send?: string } = {}): RawConnection {
  const started = Date.now();
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: opts.localAddress });
  socket.on('error', () => undefined);
  if (opts.send) socket.once('connect', () => socket.write(opts.send!));
  const firstData = new Promise<Buffer | null>((resolve) => {
    socket.once('data', (c: Buffer) => resolve(c));
    socket.once('close', () => resolve(null));
  });
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  socket.on('data', () => undefined);
  return { socket, firstData, closed };
}

/** GET a path on the platform's HTTP port; resolves with the status (0 when the connection failed). */
export function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(`GET ${path} HTTP/1.0\r\nHost: localhost\r\n\r\n`));
    let head = '';
    s.setEncoding('latin1');
    s.on('data', (c: string) => { head += c; });
    s.on('error', () => resolve(0));
    s.on('close', () => resolve(Number(/^HTTP\/1\.\d (\d{3})/.exec(head)?.[1] ?? 0)));
  });
}
