// runtime/docker/demux.ts — splits an attached or followed container stream (Docker's 8-byte frame headers) into its
// stdout and stderr, with backpressure: while a side's reader is behind, the Engine's stream is not read, so output a
// slow client never takes (`yes` to a stalled SSH session) waits in the container's pipe, not in the platform's memory.
// Used by one-off.ts (run, release phase) and logs.ts (process containers' logs).
import { PassThrough, pipeline, Writable, type Readable } from 'node:stream';

/** The two sides of a demuxed stream; both end when the source ends, fails or is destroyed. */
export interface Demuxed { stdout: PassThrough; stderr: PassThrough }

/** Demuxes `source` into two streams; the source is read only as fast as the slower side that has data is read. */
export function demux(source: Readable): Demuxed {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let pending: Buffer = Buffer.alloc(0);
  const frames = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      void writeFrames(done);
    },
  });
  /** Writes every complete frame of `pending`, waiting for a side's 'drain' when it is full; keeps the rest. */
  async function writeFrames(done: (err?: Error) => void): Promise<void> {
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const side = pending[0] === 2 ? stderr : stdout;
      const payload = pending.subarray(8, 8 + size);
      pending = pending.subarray(8 + size);
      if (!side.write(payload) && !side.destroyed) await drained(side);
    }
    done();
  }
  pipeline(source, frames, () => { stdout.end(); stderr.end(); });
  return { stdout, stderr };
}

/** Resolves when the stream can take more (or was closed: nothing will read it). */
function drained(side: PassThrough): Promise<void> {
  return new Promise((resolve) => {
    const go = (): void => { side.off('drain', go); side.off('close', go); resolve(); };
    side.on('drain', go);
    side.on('close', go);
  });
}
