// gitd/ssh-server.ts — Git and the CLI over SSH (ssh2): public-key auth only; exec of git-receive-pack,
// git-upload-pack or a CLI command; no shell, no pty, no forwarding. The host key is made once and kept.
import fs from 'node:fs';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { Knex } from 'knex';
import { Transform, type Duplex, type Readable } from 'node:stream';
import { fingerprintOf } from '../core/accounts/ssh-keys.ts';
import { userForKey, type User } from '../core/accounts/users.ts';
import { appForActor } from '../core/access.ts';
import { isPaasError } from '../core/errors.ts';
import type { Config } from '../core/config.ts';
import type { GitLimits } from '../core/git-limits.ts';
import type { Logger } from '../core/logger.ts';
import { parseSshCommand } from './ssh-command.ts';
import { ensureRepo } from './repos.ts';
import { acquirePushLock } from './push-lock.ts';
import type { PushSessions } from './hook-server.ts';
import { spawnGitService, type GitService } from './git-service.ts';
import { IdleWatch, isFollowCommand } from './ssh-idle.ts';
import { attr, contextOf, contextWith, failSpan, ROOT_CONTEXT, startSpan, type Span } from '../core/tracing.ts';

const { Server, utils } = ssh2;

/** What gitd needs to run a CLI command for a user; the controller provides it (gitd does not import it). */
export type CommandRunner = (argv: string[], user: User, io: CommandIo) => Promise<number>;

/** The SSH channel as a command sees it; `signal` aborts when the client goes away (Ctrl-C on logs -t). */
export interface CommandIo { stdin: NodeJS.ReadableStream; stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; signal: AbortSignal }

/** `leaseSeconds`: the push lock's lease (config.leaseSeconds); `limits`: config.gitLimits. */
export interface SshDeps {
  db: Knex; dataDir: string; log: Logger; sessions: PushSessions; runCommand: CommandRunner; hookSocket: string; hostEnv: Config['hostEnv'];
  limits: GitLimits; leaseSeconds?: number;
}

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

/**
 * Creates the SSH server (not yet listening; gitd/ssh-gate.ts feeds it sockets). `signedIn` is told when a
 * connection has authenticated, which ends its handshake timeout. The server pings quiet clients every
 * sshKeepaliveMs (builds, `logs -t`) and ends those that miss three pings.
 */
export function createSshServer(deps: SshDeps, hostKey: Buffer, signedIn: (ip: string, port: number) => void = () => {}): ssh2.Server {
  const keepalive = { keepaliveInterval: deps.limits.sshKeepaliveMs, keepaliveCountMax: 3 };
  return new Server({ hostKeys: [hostKey], ...keepalive }, (client, info) => {
    let user: User | undefined;
    let idle: IdleWatch | undefined;
    client.once('close', () => idle?.stop());
    client.on('authentication', (ctx) => void authenticate(deps, ctx).then((u) => { if (u) user = u; }, (err: unknown) => {
      deps.log.error({ err }, 'ssh authentication failed');
      ctx.reject(['publickey']);
    }));
    client.on('ready', () => {
      signedIn(info.ip, info.port);
      const open = new Set<Channel>();
      idle = new IdleWatch(deps.limits.sshIdleTimeoutMs, () => {
        deps.log.info({ ip: info.ip }, 'ssh connection idle, closed');
        const line = ` !     Closed: no traffic for ${deps.limits.sshIdleTimeoutMs / 1000} s (PAAS_SSH_IDLE_TIMEOUT)\n`;
        // Each channel says why and closes first (the client prints it and hangs up); the connection ends after.
        for (const ch of open) { ch.stderr.write(line); ch.exit(255); ch.end(); }
        if (open.size === 0) client.end(); else setTimeout(() => client.end(), 2000).unref();
      });
      const watch = idle;
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
          const input = tapInput(ch, () => watch.touch());
          open.add(ch);
          ch.once('close', () => open.delete(ch));
          void runExec(deps, user!, info.command, env, ch, input, watch).catch((err: unknown) => {
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

/**
 * The channel's input as commands and git read it, counted as traffic on its way through. A 'data' listener on the
 * channel itself would set it flowing, and input that came before the command began reading (keys:add's key) was lost.
 */
export function tapInput(ch: Channel, touch: () => void): Readable {
  const tap = new Transform({ transform(chunk, _encoding, done) { touch(); done(null, chunk); } });
  (ch as unknown as Duplex).pipe(tap);
  return tap;
}

async function runExec(deps: SshDeps, user: User, command: string, env: Record<string, string>, ch: Channel, input: Readable, idle: IdleWatch): Promise<void> {
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
    // Following logs or a build is legitimately long and may be quiet: never idle (keepalives find a dead client).
    const done = isFollowCommand(parsed.argv) ? idle.busy() : () => {};
    const code = await deps.runCommand(parsed.argv, user, { stdin: input, stdout: ch, stderr: ch.stderr, signal: gone.signal }).finally(done);
    ch.exit(code); ch.end();
    return;
  }
  await runGit(deps, user, parsed.service, parsed.app, env, ch, input, idle);
}

async function runGit(deps: SshDeps, user: User, service: GitService, app: string, env: Record<string, string>, ch: Channel, input: Readable, idle: IdleWatch): Promise<void> {
  let release = async () => {};
  // A push is one trace from here: this span is the root, its pre-receive (in the hook's callback) the first child.
  const span: Span | undefined = service === 'receive-pack' ? startSpan('push receive', { [attr.app]: app, 'paas.transport': 'ssh' }, ROOT_CONTEXT) : undefined;
  try {
    // A fetch reads (project viewers may clone); a push deploys.
    await appForActor(deps.db, { kind: 'user', user }, app, service === 'receive-pack' ? 'deploy' : 'read');
    if (service === 'receive-pack') {
      const lease = await acquirePushLock(deps.db, app, user.id, deps.leaseSeconds);
      // While the push's hook runs (the build and deploy), the connection is busy, however quiet the build.
      deps.sessions.open({ app, userId: user.id, busy: () => idle.busy(), trace: span && contextOf(span, ROOT_CONTEXT) });
      release = async () => { deps.sessions.close(app); await lease.release(); };
    }
  } catch (err) {
    if (!isPaasError(err)) { span?.end(); throw err; }
    span?.setAttribute(attr.outcome, 'refused');
    failSpan(span, err.message);
    span?.end();
    ch.write(pktErr(err.message));
    ch.exit(1); ch.end();
    return;
  }
  try {
    const gitDir = await ensureRepo(deps.dataDir, app);
    // In the push's span, so gitd's own log lines about it carry its trace_id.
    const code = await contextWith(span ? contextOf(span, ROOT_CONTEXT) : ROOT_CONTEXT,
      () => pipeGit(deps, service, gitDir, { ...deps.hostEnv, ...env, PAAS_HOOK_SOCKET: deps.hookSocket }, ch, input, idle));
    // The hook set the verdict (hook-server.ts): receive-pack exits 0 after a refused hook too. Only git failing wins.
    if (code !== 0) span?.setAttribute(attr.outcome, 'failed');
    if (code !== 0) failSpan(span, `git ${service} exited with ${code}`);
    ch.exit(code); ch.end();
  } catch (err) {
    failSpan(span, err instanceof Error ? err.message : String(err));
    throw err;
  } finally {
    await release();
    span?.end();
  }
}

function pipeGit(deps: SshDeps, service: GitService, gitDir: string, env: Record<string, string>, ch: Channel, input: Readable, idle: IdleWatch): Promise<number> {
  const { child, stdout } = spawnGitService(service, gitDir, { env, maxPushBytes: deps.limits.maxPushBytes });
  input.pipe(child.stdin);
  stdout.on('data', () => idle.touch());
  // Once a push's client has sent all it will (git closes its side after the pack), it only waits: unpacking, the
  // hook starting and the build are the server's work, however quiet, so the connection is busy until git exits.
  if (service === 'receive-pack') ch.once('end', () => { const done = idle.busy(); child.once('close', done); });
  child.stderr.on('data', () => idle.touch());
  stdout.pipe(ch, { end: false });
  child.stderr.pipe(ch.stderr, { end: false });
  child.stdin.on('error', () => undefined);
  // The exit status waits for the last of git's output too (it may still be in the annotator).
  const drained = new Promise<void>((resolve) => { stdout.once('end', resolve); stdout.once('close', resolve); stdout.once('error', () => resolve()); });
  const exited = new Promise<number>((resolve) => {
    child.on('error', () => resolve(1));
    child.on('close', (code) => resolve(code ?? 1));
  });
  return Promise.all([exited, drained]).then(([code]) => code);
}

