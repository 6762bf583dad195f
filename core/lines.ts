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

/**
 * A stream that inserts a line break after `max` bytes without one, backing off to the start of a UTF-8 character.
 * The bytes of a character the chunk ends inside of wait for the next chunk, so a cut never falls between them.
 */
export function cutLongLines(max: number): Transform {
  let run = 0; // bytes since the last line end
  let carry = Buffer.alloc(0); // the start of a character the previous chunk ended inside of
  return new Transform({
    transform(input: Buffer, _encoding, done) {
      const joined = carry.length ? Buffer.concat([carry, input]) : input;
      const whole = wholeCharacters(joined);
      carry = Buffer.from(joined.subarray(whole));
      const chunk = joined.subarray(0, whole);
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
    flush(done) {
      done(null, carry); // input that ends inside a character: the decoder makes it a replacement character
    },
  });
}

/** How many bytes of `buf` come before a UTF-8 character its last (up to 3) bytes begin but do not finish. */
function wholeCharacters(buf: Buffer): number {
  for (let back = 1; back <= Math.min(3, buf.length); back++) {
    const byte = buf[buf.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead
    const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return size > back ? buf.length - back : buf.length;
  }
  return buf.length;
}
