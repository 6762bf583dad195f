// core/lines.ts — reads a child process's output line by line (node:readline) as it is printed; used by the
// native build steps and one-off processes (builders/run-step.ts) and the local supervisor's process instances.
import { once } from 'node:events';
import readline from 'node:readline';
import { pipeline, Transform, type Readable } from 'node:stream';

export interface LineOptions {
  /** Lines longer than this many bytes are cut into pieces of at most this size (at a UTF-8 character boundary). */
  maxLineBytes?: number;
  /** Backpressure: called after each line; a promise returned pauses reading until it settles. */
  drain?(): Promise<void> | undefined;
}

/**
 * Calls onLine for each line of input as soon as it is complete: lines end at \n, \r\n or a lone \r (progress
 * bars), UTF-8 characters split across chunks stay whole, and an unterminated last line comes at the end.
 * Resolves once the input has ended and every line was delivered.
 */
export async function eachLine(input: Readable, onLine: (line: string) => void, opts: LineOptions = {}): Promise<void> {
  let source: Readable = input;
  if (opts.maxLineBytes) {
    // Without a cap, output that never ends a line (`cat /dev/zero`) would be held in memory whole.
    source = cutLongLines(opts.maxLineBytes);
    pipeline(input, source as Transform, () => undefined); // an input error ends `source` with it, and so the lines
  }
  // crlfDelay Infinity: a \r\n split across two chunks is still one line ending.
  const lines = readline.createInterface({ input: source, crlfDelay: Infinity });
  lines.on('line', (line: string) => {
    onLine(line);
    const wait = opts.drain?.();
    if (wait) { lines.pause(); void wait.finally(() => lines.resume()); }
  });
  await once(lines, 'close');
}

/** A stream that inserts a line break after `max` bytes without one, backing off to the start of a UTF-8 character. */
export function cutLongLines(max: number): Transform {
  let run = 0; // bytes since the last line end
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const parts: Buffer[] = [];
      let start = 0;
      for (let i = 0; i < chunk.length; i++) {
        const byte = chunk[i]!;
        if (byte === 0x0a || byte === 0x0d) { run = 0; continue; }
        if (++run <= max) continue;
        let cut = i;
        while (cut > start && (chunk[cut]! & 0xc0) === 0x80 && i - cut < 3) cut--; // not inside a character
        parts.push(chunk.subarray(start, cut), Buffer.from('\n'));
        start = cut;
        run = i - cut + 1;
      }
      parts.push(chunk.subarray(start));
      done(null, Buffer.concat(parts));
    },
  });
}
