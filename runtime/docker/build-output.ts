// runtime/docker/build-output.ts — the two streams of a Docker image build: the context sent to the Engine (the
// prepared tree as a tar) and its answer (JSON lines) read as they come, each output line relayed at once, bounded
// and without terminal escapes. Used by build.ts.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** One event of the Engine's build answer (POST /build). */
interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** What the build answer said, filled in as it comes (so a cancelled build's caller still sees what was built). */
export interface BuildAnswer {
  error?: string;
  /** The last step the Engine started, e.g. `RUN npm ci` (a pull error does not name the image: this does). */
  step?: string;
  imageId?: string;
  /** Short ids of the images the steps committed (` ---> <id>` after a step that ran), for removal after a failure. */
  stepImages: string[];
}

/** How much of a build's output reaches the push: a line, and the whole build (a step printing without end). */
export const outputCaps = { lineBytes: 8 * 1024, totalBytes: 8 * 1024 * 1024, totalLines: 20_000 };

// CSI sequences (colours: the Engine wraps stderr in ESC[91m…ESC[0m), OSC sequences, other escapes, stray controls.
const escapes = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]?|[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** The line without terminal escape sequences or control characters (a build step must not paint the push). */
export function stripEscapes(line: string): string {
  return line.replace(escapes, '');
}

/**
 * Streams dir as a tar (GNU tar, argv). Symlinks go in as links, never followed, so a link out of the tree never
 * brings a host file into the context; the Engine resolves links inside the context only. kill() ends the tar (a
 * build that was cancelled or failed mid-upload); it is a no-op once tar has exited.
 */
export function contextTar(dir: string): { stream: Readable; done: Promise<void>; kill: () => void } {
  const tar = spawn('tar', ['-c', '-C', dir, '--numeric-owner', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const done = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar of the build context failed (${code}): ${stderr.trim()}`))));
  });
  done.catch(() => undefined); // awaited by the caller after the build; never an unhandled rejection meanwhile
  const kill = () => {
    if (tar.exitCode === null && tar.signalCode === null) tar.kill('SIGKILL');
    tar.stdout.destroy();
  };
  return { stream: tar.stdout, done, kill };
}

/**
 * Splits output into lines as it comes, keeping only the unfinished line (never re-splitting what was seen). A line
 * longer than lineBytes is sent at that length, marked `…`; after totalBytes or totalLines, one truncation notice.
 */
class LineRelay {
  private pending = '';
  private bytes = 0;
  private lines = 0;
  private truncated = false;

  constructor(private readonly onLine: (line: string) => void, private readonly seen: (line: string) => void) {}

  /** Takes the next piece of output. */
  push(text: string): void {
    const parts = text.split('\n'); // a `\r` before it is a control character, stripped with the escapes
    const last = parts.pop()!;
    for (const part of parts) { this.line(this.pending + part); this.pending = ''; }
    const rest = this.pending + last;
    let at = 0;
    for (; rest.length - at > outputCaps.lineBytes; at += outputCaps.lineBytes) this.line(`${rest.slice(at, at + outputCaps.lineBytes)}…`);
    this.pending = rest.slice(at);
  }

  /** Sends the unfinished line, if any. */
  end(): void {
    if (this.pending !== '') this.line(this.pending);
    this.pending = '';
  }

  private line(raw: string): void {
    const line = stripEscapes(raw);
    this.seen(line);
    if (this.truncated) return;
    this.bytes += Buffer.byteLength(line) + 1;
    this.lines += 1;
    if (this.bytes > outputCaps.totalBytes || this.lines > outputCaps.totalLines) {
      this.truncated = true;
      this.onLine(`(output truncated: more than ${outputCaps.totalLines} lines or ${outputCaps.totalBytes / 1024 / 1024} MiB; the build goes on)`);
      return;
    }
    this.onLine(line);
  }
}

/** Reads the builder's own lines: the step started, and the image a step that ran committed. */
function stepWatcher(result: BuildAnswer): (line: string) => void {
  let skipNext = false; // after FROM (the base image) or `Using cache` (another build's image), the id is not ours
  return (line) => {
    const step = /^Step \d+\/\d+ : (.*)$/.exec(line);
    if (step) { result.step = step[1]; skipNext = /^FROM\s/i.test(step[1]!); return; }
    if (line === ' ---> Using cache') { skipNext = true; return; }
    const id = /^ ---> ([0-9a-f]{12,64})$/.exec(line);
    if (!id) return;
    if (!skipNext) result.stepImages.push(id[1]!);
    skipNext = false;
  };
}

/**
 * Reads the build answer to its end, calling onLine with every output line as soon as it is complete (a RUN step's
 * output may come in pieces of lines). Fills result as it goes (pass one in to see it after a throw); resolves with it.
 */
export async function readBuildAnswer(answer: Readable, onLine: (line: string) => void, result: BuildAnswer = { stepImages: [] }): Promise<BuildAnswer> {
  const relay = new LineRelay(onLine, stepWatcher(result));
  const take = (json: string) => {
    if (!json.trim()) return;
    const event = JSON.parse(json) as BuildEvent;
    if (event.stream !== undefined) relay.push(event.stream);
    else if (event.status !== undefined) relay.push(`${event.status}\n`);
    if (event.aux?.ID) result.imageId = event.aux.ID;
    if (event.error !== undefined) result.error = event.errorDetail?.message || event.error;
  };
  let raw: string[] = []; // the pieces of the unfinished JSON line: joined once it ends, never re-scanned
  const utf8 = new StringDecoder('utf8'); // a character split across chunks stays whole
  for await (const chunk of answer) {
    const text = utf8.write(chunk as Buffer);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      raw.push(text.slice(from, nl));
      take(raw.join(''));
      raw = [];
      from = nl + 1;
    }
    if (from < text.length) raw.push(text.slice(from));
  }
  take(raw.join('') + utf8.end());
  relay.end();
  return result;
}
