// gitd/repos.ts — the bare repository store: one repo per app at $PAAS_DATA_DIR/repos/<app>.git, HEAD on main,
// hooks pointing at the platform. A repo exists only for an app that exists (created on first use).
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseAppName } from '../core/names.ts';

const exec = promisify(execFile);
const HOOK_SCRIPT = fileURLToPath(new URL('./hooks/hook.cjs', import.meta.url));

export function reposRoot(dataDir: string): string { return path.join(dataDir, 'repos'); }
export function hooksDir(dataDir: string): string { return path.join(dataDir, 'git-hooks'); }
/** Each process that serves git has its own hook socket: `gitd` (SSH, and everything in one process) or `web`. */
export function hookSocketPath(dataDir: string, role: 'gitd' | 'web' = 'gitd'): string { return path.join(dataDir, 'run', `${role}.sock`); }

/** The repo directory of an app; the name is re-validated here because it becomes a path. */
export function repoDir(dataDir: string, app: string): string {
  return path.join(reposRoot(dataDir), `${parseAppName(app)}.git`);
}

/** Writes the hook wrappers git runs; they hand the push to this platform over its hook socket. */
export function installHooks(dataDir: string): void {
  const dir = hooksDir(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  fs.mkdirSync(path.dirname(hookSocketPath(dataDir)), { recursive: true });
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  for (const hook of ['pre-receive', 'post-receive']) {
    const script = `#!/bin/sh\nexec ${q(process.execPath)} ${q(HOOK_SCRIPT)} ${hook} "\${PAAS_HOOK_SOCKET:-${hookSocketPath(dataDir).replace(/["$`\\]/g, '\\$&')}}"\n`;
    fs.writeFileSync(path.join(dir, hook), script, { mode: 0o755 });
  }
}

/** Creates the app's bare repo if missing and points its hooks at the platform. */
export async function ensureRepo(dataDir: string, app: string): Promise<string> {
  const dir = repoDir(dataDir, app);
  if (!fs.existsSync(path.join(dir, 'HEAD'))) {
    fs.mkdirSync(reposRoot(dataDir), { recursive: true });
    await exec('git', ['init', '--quiet', '--bare', '--initial-branch=main', dir]);
    await exec('git', ['-C', dir, 'config', 'receive.keepAlive', '5']);
  }
  await exec('git', ['-C', dir, 'config', 'core.hooksPath', hooksDir(dataDir)]);
  return dir;
}

/** Deletes an app's repo (apps:destroy). */
export function removeRepo(dataDir: string, app: string): void {
  fs.rmSync(repoDir(dataDir, app), { recursive: true, force: true });
}

/** True when the repo has a branch with that name. */
export async function hasBranch(gitDir: string, branch: string): Promise<boolean> {
  try {
    await exec('git', ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
}
