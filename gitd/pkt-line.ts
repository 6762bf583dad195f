// gitd/pkt-line.ts — just enough of git's pkt-line framing for the platform's own checks, with no I/O: the
// validation of a smart-HTTP request's head (so a malformed body is refused at once instead of reaching git), and
// the side-band annotation that turns git's "pack exceeds maximum allowed size" into a ` !     ` line.
import { Transform, type TransformCallback } from 'node:stream';

/** git's largest pkt-line (LARGE_PACKET_MAX): 4 length digits plus 65516 bytes of payload. */
export const PKT_MAX = 65520;

/** One pkt-line written out: length prefix and payload. */
export function pkt(payload: string | Buffer): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
  return Buffer.concat([Buffer.from((body.length + 4).toString(16).padStart(4, '0')), body]);
}

export type HeadCheck =
  | { kind: 'complete'; length: number } // bytes of the pkt-line section, up to and including its flush
  | { kind: 'incomplete' }
  | { kind: 'malformed'; reason: string };

/**
 * Checks the pkt-lines at the start of `buf` up to the first flush-pkt ("0000"): each length must be four hex
 * digits, 0000-0002 or 4..65520. A receive-pack request is commands then a flush (the pack follows); an
 * upload-pack request is wants/haves ending in a flush or "done".
 */
export function checkPktHead(buf: Buffer): HeadCheck {
  let at = 0;
  while (at + 4 <= buf.length) {
    const hex = buf.toString('latin1', at, at + 4);
    if (!/^[0-9a-f]{4}$/i.test(hex)) return { kind: 'malformed', reason: `bad pkt-line length "${printable(hex)}"` };
    const len = parseInt(hex, 16);
    if (len === 0) return { kind: 'complete', length: at + 4 };
    if (len <= 2) { at += 4; continue; } // delim-pkt, response-end-pkt (protocol v2)
    if (len < 4 || len > PKT_MAX) return { kind: 'malformed', reason: `pkt-line length ${len} is out of range (4-${PKT_MAX})` };
    if (at + len > buf.length) return { kind: 'incomplete' };
    if (buf.toString('latin1', at + 4, at + len).startsWith('done')) return { kind: 'complete', length: at + len };
    at += len;
  }
  return { kind: 'incomplete' };
}

function printable(s: string): string { return s.replace(/[^\x20-\x7e]/g, '?'); }

const TOO_LARGE = 'pack exceeds maximum allowed size';

/**
 * Passes git's output through unchanged and, after the side-band message in which git says the pack is over
 * receive.maxInputSize, adds one side-band message of ours (`line`), so the push shows ` !     ` and the limit.
 * Anything that is not pkt-lines (it never happens with git) is passed on untouched from there.
 */
export class PackLimitAnnotator extends Transform {
  private pending: Buffer = Buffer.alloc(0);
  private raw = false;
  private said = false;
  constructor(private line: string) { super(); }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.raw) { done(null, chunk); return; }
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    while (at + 4 <= this.pending.length) {
      const len = parseInt(this.pending.toString('latin1', at, at + 4), 16);
      if (Number.isNaN(len) || (len > 2 && len < 4) || len > PKT_MAX) { this.raw = true; break; }
      const size = len <= 2 ? 4 : len;
      if (at + size > this.pending.length) break;
      const packet = this.pending.subarray(at, at + size);
      this.push(packet);
      if (!this.said && size > 5 && packet[4] === 2 && packet.toString('latin1', 5).includes(TOO_LARGE)) {
        this.said = true;
        this.push(pkt(`\x02${this.line}\n`));
      }
      at += size;
    }
    const rest = this.pending.subarray(at);
    this.pending = Buffer.alloc(0);
    if (this.raw) { done(null, rest); return; }
    this.pending = Buffer.from(rest);
    done();
  }
  override _flush(done: TransformCallback): void { done(null, this.pending.length ? this.pending : undefined); }
}
