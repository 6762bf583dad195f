// core/read-all.ts — the one reader of a whole input stream with a size limit: the CLI's standard input (local and
// over SSH) and the body a git hook sends to gitd's hook socket. Every input the platform reads whole has a limit.
import { PaasError } from './errors.ts';

/**
 * Reads the stream to its end as UTF-8 text. Rejects with E_INPUT_TOO_LARGE, and stops reading, once more than
 * maxBytes arrive, so a client cannot make the platform hold an unbounded input; `what` names the input.
 * The stream is left open (over SSH it is the session's channel, which still carries the error message).
 */
export function readAll(stream: NodeJS.ReadableStream, maxBytes: number, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onError);
    };
    const onData = (chunk: Buffer | string): void => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      chunks.push(bytes);
      if (size <= maxBytes) return;
      stop();
      stream.pause();
      reject(new PaasError('E_INPUT_TOO_LARGE', `${what} is larger than ${maxBytes} bytes`));
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onError = (err: Error): void => {
      stop();
      reject(err);
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}
