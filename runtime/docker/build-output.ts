// runtime/docker/build-output.ts — the two streams of a Docker image build: the context sent to the Engine (the
// prepared tree as a tar) and its answer (JSON lines) read as they come, each output line relayed at once. Used by build.ts.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

/** One event of the Engine's build answer (POST /build). */
interface BuildEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/** What the build answer said in the end: the Engine's error, when the build failed, and the step it failed at. */
export interface BuildAnswer {
  error?: string;
  /** The last step the Engine started, e.g. `RUN npm ci` (a pull error does not name the image: this does). */
  step?: string;
  imageId?: string;
}

/**
 * Streams dir as a tar (GNU tar, argv). Symlinks go in as links, never followed, so a link out of the tree never
 * brings a host file into the context; the Engine resolves links inside the context only.
 */
export function contextTar(dir: string): { stream: Readable; done: Promise<void> } {
  const tar = spawn('tar', ['-c', '-C', dir, '--numeric-owner', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  const done = new Promise<void>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar of the build context failed (${code}): ${stderr.trim()}`))));
  });
  done.catch(() => undefined); // awaited by the caller after the build; never an unhandled rejection meanwhile
  return { stream: tar.stdout, done };
}

/**
 * Reads the build answer to its end, calling onLine with every complete output line as soon as it arrives (a RUN
 * step's output may come in pieces of lines). Resolves with the Engine's error, if it reported one.
 */
export async function readBuildAnswer(answer: Readable, onLine: (line: string) => void): Promise<BuildAnswer> {
  const result: BuildAnswer = {};
  let raw = '';
  let text = '';
  const emit = (final: boolean) => {
    const lines = text.split(/\r?\n/);
    text = final ? '' : lines.pop()!;
    for (const line of final ? lines.filter((l, i) => l !== '' || i < lines.length - 1) : lines) {
      const step = /^Step \d+\/\d+ : (.*)$/.exec(line);
      if (step) result.step = step[1];
      onLine(line);
    }
  };
  const take = (event: BuildEvent) => {
    if (event.stream !== undefined) text += event.stream;
    else if (event.status !== undefined) text += `${event.status}\n`;
    if (event.aux?.ID) result.imageId = event.aux.ID;
    if (event.error !== undefined) result.error = event.errorDetail?.message || event.error;
    emit(false);
  };
  for await (const chunk of answer) {
    raw += (chunk as Buffer).toString();
    const events = raw.split('\n');
    raw = events.pop()!;
    for (const e of events) if (e.trim()) take(JSON.parse(e) as BuildEvent);
  }
  if (raw.trim()) take(JSON.parse(raw) as BuildEvent);
  emit(true);
  return result;
}
