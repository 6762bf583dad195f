// gitd/ssh-server.ts — Git and the CLI over SSH (ssh2): public-key auth only; exec of git-receive-pack,
// git-upload-pack or a CLI command; no shell, no pty, no forwarding. The host key is made once and kept.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import ssh2 from 'ssh2';
import type { Knex } from 'knex';
import type { Duplex } from 'node:stream';
import { fingerprintOf } from '../core/accounts/ssh-keys.ts';
import { userForKey, type User } from '../core/accounts/users.ts';
import { appForActor } from '../core/access.ts';
import { isPaasError } from '../core/errors.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/logger.ts';
import { parseSshCommand } from './ssh-command.ts';
import { ensureRepo } from './repos.ts';
import { acquirePushLock } from './push-lock.ts';
import type { PushSessions } from './hook-server.ts';

const { Server, utils } = ssh2;

/** What gitd needs to run a CLI command for a user; the controller provides it (gitd does not import it). */
export type CommandRunner = (argv: string[], user: User, io: CommandIo) => Promise<number>;

/** The SSH channel as a command sees it; `signal` aborts when the client goes away (Ctrl-C on logs -t). */
export interface CommandIo { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; signal: AbortSignal }

/** `leaseSeconds`: the push lock's lease (config.leaseSeconds). */
export interface SshDeps { db: Knex; dataDir: string; log: Logger; sessions: PushSessions; runCommand: CommandRunner; hookSocket: string; hostEnv: Config['hostEnv']; leaseSeconds?: number }

/**
 * A new ed25519 pair that ssh2 can read back. ssh2's generator drops leading zero bytes of the public key, so about one
 * key in 256 fails its own parser (mscdex/ssh2#1390); such a pair is thrown away and another drawn.
 */
export function generateHostKey(): { private: string; public: string } {
  for (let tries = 0; tries < 16; tries++) {
    const pair = utils.generateKeyPairSync('ed25519');
    const priv = utils.parseKey(pair.private), pub = utils.parseKey(pair.public);
    if (!(priv instanceof Error) && !Array.isArray(priv) && !(pub instanceof Error) && !Array.isArray(pub)) return pair;
  }
  throw new Error('Could not generate an SSH host key that ssh2 can read');
}

/** Loads the host key, generating an ed25519 key on first start; returns it with its SHA256 fingerprint. */
export function loadHostKey(dataDir: string): { key: Buffer; fingerprint: string } {
  const file = path.join(dataDir, 'ssh_host_ed25519_key');
  if (!fs.existsSync(file)) {
    const pair = generateHostKey();
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, pair.private, { mode: 0o600 });
    fs.writeFileSync(`${file}.pub`, pair.public + '\n');
  }
  const key = fs.readFileSync(file);
  const parsed = utils.parseKey(key);
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error(`Cannot read the SSH host key ${file}`);
  return { key, fingerprint: fingerprintOf(parsed.getPublicSSH()) };
}

/** A git-protocol error before receive-pack starts: git prints it as "remote error: <msg>". */
function pktErr(message: string): string {
  const payload = `ERR ${message}\n`;
  return (payload.length + 4).toString(16).padStart(4, '0') + payload;
}

/** Creates the SSH server (not yet listening). */
export function createSshServer(deps: SshDeps, hostKey: Buffer): ssh2.Server {
  return new Server({ hostKeys: [hostKey] }, (client) => {
    let user: User | undefined;
    client.on('authentication', (ctx) => void authenticate(deps, ctx).then((u) => { if (u) user = u; }, (err: unknown) => {
      deps.log.error({ err }, 'ssh authentication failed');
      ctx.reject(['publickey']);
    }));
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        const env: Record<string, string> = {};
        session.on('env', (acceptEnv, _reject, info) => { if (info.key === 'GIT_PROTOCOL') env.GIT_PROTOCOL = info.val; acceptEnv?.(); });
        session.on('pty', (_a, reject) => reject());
        session.on('subsystem', (_a, reject) => reject());
        session.on('shell', (acceptShell) => {
          const ch = acceptShell();
          ch.stderr.write('Hi! You are signed in, but there is no shell here. Push with git, or run a command: ssh -p PORT git@HOST help\n');
          ch.exit(1); ch.end();
        });
        session.on('exec', (acceptExec, _reject, info) => {
          const ch = acceptExec();
          void runExec(deps, user!, info.command, env, ch).catch((err: unknown) => {
            deps.log.error({ err }, 'ssh exec failed');
            ch.exit(1); ch.end();
          });
        });
      });
    });
    client.on('tcpip', (_a, reject) => reject());
    client.on('openssh.streamlocal', (_a, reject) => reject());
    client.on('request', (_a, reject) => reject?.());
    client.on('error', (err) => deps.log.debug({ err }, 'ssh client error'));
  });
}

async function authenticate(deps: SshDeps, ctx: ssh2.AuthContext): Promise<User | undefined> {
  if (ctx.method !== 'publickey') { ctx.reject(['publickey']); return undefined; }
  const fingerprint = fingerprintOf(ctx.key.data);
  // A key offered without a signature is only a question ("would you take this key?"): answer it without
  // recording a use. With a signature, the stored key must verify it.
  const row = await deps.db('ssh_keys').where({ fingerprint }).first('public_key').catch(() => undefined);
  const stored = row && utils.parseKey(row.public_key);
  const valid = stored && !(stored instanceof Error) && !Array.isArray(stored)
    && (!ctx.signature || stored.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) === true);
  const user = valid && ctx.signature ? await userForKey(deps.db, fingerprint).catch(() => undefined) : undefined;
  if (!valid || (ctx.signature && !user)) { ctx.reject(['publickey']); return undefined; }
  ctx.accept();
  return user;
}

type Channel = ssh2.ServerChannel;

async function runExec(deps: SshDeps, user: User, command: string, env: Record<string, string>, ch: Channel): Promise<void> {
  let parsed;
  try {
    parsed = parseSshCommand(command);
  } catch (err) {
    if (!isPaasError(err)) throw err;
    const looksGit = /^\s*git[- ]/.test(command);
    if (looksGit) ch.write(pktErr(err.message)); else ch.stderr.write(` !     ${err.message}\n`);
    ch.exit(1); ch.end();
    return;
  }
  if (parsed.kind === 'cli') {
    const gone = new AbortController();
    ch.once('close', () => gone.abort());
    const code = await deps.runCommand(parsed.argv, user, { stdin: ch, stdout: ch, stderr: ch.stderr, signal: gone.signal });
    ch.exit(code); ch.end();
    return;
  }
  await runGit(deps, user, parsed.service, parsed.app, env, ch);
}

async function runGit(deps: SshDeps, user: User, service: 'receive-pack' | 'upload-pack', app: string, env: Record<string, string>, ch: Channel): Promise<void> {
  let release = async () => {};
  try {
    await appForActor(deps.db, { kind: 'user', user }, app);
    if (service === 'receive-pack') {
      const lease = await acquirePushLock(deps.db, app, user.id, deps.leaseSeconds);
      deps.sessions.open({ app, userId: user.id });
      release = async () => { deps.sessions.close(app); await lease.release(); };
    }
  } catch (err) {
    if (!isPaasError(err)) throw err;
    ch.write(pktErr(err.message));
    ch.exit(1); ch.end();
    return;
  }
  try {
    const gitDir = await ensureRepo(deps.dataDir, app);
    const code = await pipeGit(service, gitDir, { ...deps.hostEnv, ...env, PAAS_HOOK_SOCKET: deps.hookSocket }, ch);
    ch.exit(code); ch.end();
  } finally {
    await release();
  }
}

function pipeGit(service: string, gitDir: string, env: Record<string, string>, ch: Channel): Promise<number> {
  const child = spawn('git', [service, gitDir], { env });
  (ch as unknown as Duplex).pipe(child.stdin);
  child.stdout.pipe(ch, { end: false });
  child.stderr.pipe(ch.stderr, { end: false });
  child.stdin.on('error', () => undefined);
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('close', (code) => resolve(code ?? 1));
  });
}

