// core/lines.ts — reads a child process's output line by line (node:readline) as it is printed; used by the
// native build steps (builders/run-step.ts) and the local supervisor's process instances.
import { once } from 'node:events';
import readline from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * Calls onLine for each line of input as soon as it is complete: lines end at \n, \r\n or a lone \r (progress
 * bars), UTF-8 characters split across chunks stay whole, and an unterminated last line comes at the end.
 * Resolves once the input has ended and every line was delivered.
 */
export async function eachLine(input: Readable, onLine: (line: string) => void): Promise<void> {
  // crlfDelay Infinity: a \r\n split across two chunks is still one line ending.
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  lines.on('line', onLine);
  await once(lines, 'close');
}
