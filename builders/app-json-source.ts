// builders/app-json-source.ts — reads app.json from the root of a pushed tree (the tar gitd exported), with the real
// `tar`; the controller (controller/app-json-step.ts) calls it before any build driver runs, so every mode sees the same.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { PaasError } from '../core/errors.ts';
import { eachLine } from '../core/lines.ts';
import { appJsonMaxBytes, decodeAppJson } from './app-json.ts';

const exec = promisify(execFile);

/** The member name of the root's app.json in the archive (`git archive` writes `app.json`; `tar -C dir .` `./app.json`). */
async function findMember(archivePath: string): Promise<string | undefined> {
  const tar = spawn('tar', ['-t', '-f', archivePath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let found: string | undefined;
  let stderr = '';
  tar.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-500); });
  const closed = new Promise<number>((resolve, reject) => {
    tar.on('error', reject);
    tar.on('close', (code) => resolve(code ?? 1));
  });
  await eachLine(tar.stdout, (line) => { if (!found && (line === 'app.json' || line === './app.json')) found = line; });
  const code = await closed;
  if (code !== 0) throw new PaasError('E_BUILD_FAILED', `Reading the pushed tree failed (tar exit ${code}): ${stderr.trim()}`);
  return found;
}

/**
 * The text of app.json at the tree's root, or undefined when there is none.
 * Security boundary: the tree is the pusher's; app.json must be a regular file (not a symlink or a directory) of at
 * most 64 KiB of UTF-8, else E_APP_JSON_INVALID. Only that one member is unpacked, into a fresh directory.
 */
export async function readAppJson(archivePath: string): Promise<string | undefined> {
  const member = await findMember(archivePath);
  if (member === undefined) return undefined;
  const dir = fs.mkdtempSync(path.join(path.dirname(archivePath), '.app-json-'));
  try {
    await exec('tar', ['-x', '--no-recursion', '--no-same-owner', '--no-same-permissions', '-f', archivePath, '-C', dir, '--', member]);
    const file = path.join(dir, 'app.json');
    const stat = fs.lstatSync(file);
    if (!stat.isFile()) throw new PaasError('E_APP_JSON_INVALID', 'app.json must be a regular file (it is a symlink)');
    if (stat.size > appJsonMaxBytes) throw new PaasError('E_APP_JSON_INVALID', `app.json is larger than ${appJsonMaxBytes / 1024} KiB`);
    return decodeAppJson(fs.readFileSync(file));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
