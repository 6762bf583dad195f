// test/support/raw-http.ts — a keep-alive HTTP/1.1 client on one raw socket for the router engine's tests: writes
// exact bytes (pipelined requests, hostile heads) and reads back whole responses framed by Content-Length.
import net from 'node:net';
import tls from 'node:tls';

export interface RawResponse { status: number; headers: Record<string, string>; body: string }

/** One socket to the router; `send` writes bytes and resolves with the next `count` responses. */
export class RawClient {
  private buffered = '';
  private waiter: (() => void) | undefined;
  closed = false;

  constructor(readonly socket: net.Socket | tls.TLSSocket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { this.buffered += d; this.waiter?.(); });
    socket.on('close', () => { this.closed = true; this.waiter?.(); });
    socket.on('error', () => {});
  }

  /** Connects to 127.0.0.1:port. */
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Writes data, then reads `count` responses (rejects if the socket closes first). */
  async send(data: string, count = 1): Promise<RawResponse[]> {
    this.socket.write(data, 'latin1');
    const out: RawResponse[] = [];
    while (out.length < count) {
      const r = this.take();
      if (r) out.push(r);
      else if (this.closed) throw new Error(`closed after ${out.length} of ${count} responses: ${JSON.stringify(this.buffered)}`);
      else await new Promise<void>((resolve) => (this.waiter = resolve));
    }
    return out;
  }

  /** Resolves with whatever arrived once the router closes the socket. */
  async untilClosed(): Promise<string> {
    while (!this.closed) await new Promise<void>((resolve) => (this.waiter = resolve));
    return this.buffered;
  }

  close(): void {
    this.socket.destroy();
  }

  /** One complete response off the buffer, if there is one. */
  private take(): RawResponse | undefined {
    const end = this.buffered.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const [statusLine, ...lines] = this.buffered.slice(0, end).split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffered.length < end + 4 + length) return undefined;
    const body = this.buffered.slice(end + 4, end + 4 + length);
    this.buffered = this.buffered.slice(end + 4 + length);
    return { status: Number(statusLine!.split(' ')[1]), headers, body };
  }
}

/** A GET with the given Host (and extra header lines), as raw bytes. */
export function rawGet(host: string, path = '/', extra: string[] = []): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra.map((l) => `${l}\r\n`).join('')}\r\n`;
}
