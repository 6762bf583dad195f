// core/deploy-key.ts — makes an app's deploy key (issue 13 §5): an ed25519 pair from OpenSSH's own ssh-keygen. The
// public half is shown for the user to add at the Git host; gitd fetches ssh:// sources with the private half.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface DeployKey { privateKey: string; publicKey: string }

/** Generates an ed25519 key pair in OpenSSH format; `comment` names the app at the Git host. */
export async function generateDeployKey(comment: string): Promise<DeployKey> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'paas-deploy-key-'));
  try {
    const file = path.join(dir, 'key');
    await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { timeout: 30_000 });
    return { privateKey: fs.readFileSync(file, 'utf8'), publicKey: fs.readFileSync(`${file}.pub`, 'utf8').trim() };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
