// test/support/builder-pod.ts — runs the builder-pod entrypoint (builders/entrypoint.ts) as a child process, as its init container would.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const entrypoint = path.join(repoRoot, 'builders/entrypoint.ts');

export interface Run { code: number | null; lines: string[]; workspace: string; termination: unknown }

/**
 * Runs the entrypoint as the init container would; returns its exit code, stdout lines and termination message.
 * A `PAAS_BUILD_TOKEN` given here is written to a file and handed over as PAAS_BUILD_TOKEN_FILE, as the Job's
 * projected Secret does; the variable itself never reaches the entrypoint.
 */
export async function runEntrypoint(t: TestContext, given: Record<string, string>): Promise<Run> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-builder-'));
  t.after(() => fs.rmSync(scratch, { recursive: true, force: true }));
  const { PAAS_BUILD_TOKEN: token, ...env } = given;
  if (token !== undefined) {
    env.PAAS_BUILD_TOKEN_FILE = path.join(scratch, 'token');
    fs.writeFileSync(env.PAAS_BUILD_TOKEN_FILE, `${token}\n`, { mode: 0o400 });
  }
  const workspace = path.join(scratch, 'workspace');
  const terminationLog = path.join(scratch, 'termination-log');
  const child = spawn(process.execPath, ['--import', 'tsx', entrypoint], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, PAAS_WORKSPACE: workspace, PAAS_TERMINATION_LOG: terminationLog, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const termination = fs.existsSync(terminationLog) ? JSON.parse(fs.readFileSync(terminationLog, 'utf8')) : undefined;
  return { code, lines: stdout.split('\n').slice(0, -1), workspace, termination };
}

