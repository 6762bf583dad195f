// test/e2e/access.test.ts — the SSH surface against a started platform with the real OpenSSH client: commands,
// hostile app names (over SSH and the local CLI), no shell/pty/forwarding, exec and repo-path refusals, and auth.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createUser, fixtureRepo, git, run, sshEnv, startPlatform, tempDir, type Platform, type TestUser } from '../support/platform.ts';
import { allAppNames, repoEntries, sshBackground, sshCli, sshOptions, sshRaw } from '../support/access.ts';
import { keygen } from '../support/keys.ts';

let p: Platform;
let dir: string;
let admin: TestUser;
let alice: TestUser;

before(async () => {
  dir = tempDir();
  p = await startPlatform();
  admin = await createUser(p, 'admin@example.com', dir); // the first user is an admin: it sees every app; alice is a plain user
  alice = await createUser(p, 'alice@example.com', dir);
});

after(async () => {
  await p?.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What a refusal must leave alone: every app, and the repo store. */
async function snapshot(): Promise<{ apps: string[]; repos: string[] }> {
  return { apps: await allAppNames(p, admin.token), repos: repoEntries(p) };
}

const HOSTILE_NAMES = ['../x', 'a/b', 'A_B', 'x'.repeat(64), '-x', 'x-', 'x;rm -rf /', '', 'x y', 'café', '$(id)'];
/** The brief's list; the local CLI costs a process start each, so it gets these and SSH gets all of HOSTILE_NAMES. */
const CLI_HOSTILE_NAMES = ['../x', 'a/b', 'A_B', 'x'.repeat(64), '-x', 'x;rm -rf /', ''];
const NAME_RULE = /is not a valid app name: use 1-63 lowercase letters, digits and hyphens|Missing APP/;
/** The refusal of a hostile name: the name rule; a name that is a flag (-x) is refused as an unknown flag. */
const refusalOf = (name: string) => (name.startsWith('-') ? new RegExp(`^ !     Unknown flag ${name}\\. Usage: `) : NAME_RULE);

test('--help over SSH lists the commands users may run, but not the local-only ones', async () => {
  const r = await sshCli(p, alice, ['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const cmd of ['apps:create', 'apps:destroy', 'config:set', 'releases', 'rollback', 'builds', 'ps', 'ps:scale', 'ps:restart', 'run', 'logs',
    'keys:add', 'keys:remove', 'tokens:create', 'domains:add', 'collaborators:add']) {
    assert.match(r.stdout, new RegExp(`^  ${cmd}( |$)`, 'm'), `${cmd} missing from:\n${r.stdout}`);
  }
  assert.doesNotMatch(r.stdout, /users:create/);
  assert.match(r.stdout, new RegExp(`^Usage: ssh -p ${p.sshPort} git@localhost <command>`, 'm'));
  assert.equal((await sshCli(p, alice, ['help'])).stdout, r.stdout);
});

test('users:create is local only: over SSH it is an unknown command and no user is made', async () => {
  const r = await sshCli(p, admin, ['users:create', 'mallory@example.com', '--admin']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, ` !     Unknown command "users:create"; run ssh -p ${p.sshPort} git@localhost --help for the list\n`);
  const users = await sshCli(p, admin, ['users']);
  assert.equal(users.code, 0, users.stderr);
  assert.doesNotMatch(users.stdout, /mallory/);
});

test('apps:create over SSH creates an app owned by the key\'s user', async () => {
  const r = await sshCli(p, alice, ['apps:create', 'alpha']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Creating alpha\.\.\. done$/m);
  assert.match(r.stdout, new RegExp(`ssh://git@localhost:${p.sshPort}/alpha\\.git`));
  const apps = await sshCli(p, alice, ['apps']);
  assert.match(apps.stdout, /^alpha\s+alice@example\.com\s+http:\/\/alpha\.localhost:\d+\/$/m);
  const again = await sshCli(p, admin, ['apps:create', 'alpha']);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, ' !     An app named alpha already exists; pick another name\n');
});

test('over SSH a user cannot create an app for someone else, nor list users', async () => {
  const r = await sshCli(p, alice, ['apps:create', 'owned', '--owner', 'admin@example.com']);
  assert.equal(r.code, 0, r.stderr);
  const apps = await sshCli(p, admin, ['apps']);
  assert.match(apps.stdout, /^owned\s+alice@example\.com\s/m, '--owner is for the operator only');
  const users = await sshCli(p, alice, ['users']);
  assert.equal(users.code, 1);
  assert.equal(users.stderr, ' !     Only admins can list users\n');
  assert.equal(users.stdout, '');
  const destroyed = await sshCli(p, alice, ['apps:destroy', 'owned', '--confirm', 'owned']);
  assert.equal(destroyed.code, 0, destroyed.stderr);
});

test('hostile app names over SSH are refused with " !     " and create nothing', async () => {
  const before = await snapshot();
  const results = await Promise.all(HOSTILE_NAMES.map((name) => sshCli(p, alice, ['apps:create', name])));
  results.forEach((r, i) => {
    const name = JSON.stringify(HOSTILE_NAMES[i]);
    assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^ !     /, name);
    assert.match(r.stderr, refusalOf(HOSTILE_NAMES[i]!), name);
    assert.equal(r.stdout, '', name);
  });
  // Unquoted, as a user would type it: the platform splits words but never runs a shell.
  const marker = path.join(dir, 'pwned');
  const raws = ['apps:create x;rm -rf /', `apps:create $(touch ${marker})`, `apps:create \`touch ${marker}\``, 'apps:create x|id', 'apps:create x&&id'];
  const rawResults = await Promise.all(raws.map((raw) => sshRaw(p, alice.keyPath, raw)));
  rawResults.forEach((r, i) => {
    assert.equal(r.code, 1, raws[i]);
    // `-rf` is a flag apps:create does not take: refused as such before any name is looked at.
    assert.match(r.stderr, raws[i]!.includes(' -rf ') ? /^ !     Unknown flag -r\. Usage: / : /^ !     .*is not a valid app name/, raws[i]);
  });
  assert.equal(fs.existsSync(marker), false, 'a shell ran part of the command');
  assert.deepEqual(await snapshot(), before);
});

test('hostile app names through the local CLI are refused the same way and create nothing', async () => {
  const before = await snapshot();
  const results = await Promise.all(CLI_HOSTILE_NAMES.map((name) => p.cli(['apps:create', name])));
  results.forEach((r, i) => {
    const name = JSON.stringify(CLI_HOSTILE_NAMES[i]);
    assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /^ !     /, name);
    assert.match(r.stderr, refusalOf(CLI_HOSTILE_NAMES[i]!), name);
  });
  assert.deepEqual(await snapshot(), before);
  const apps = await p.cli(['apps']);
  assert.equal(apps.code, 0, apps.stderr);
  assert.deepEqual(apps.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]), ['alpha']);
});

test('an interactive shell is refused with a message and a non-zero exit', async () => {
  for (const options of [['-T'], []]) {
    const r = await sshRaw(p, alice.keyPath, undefined, { options });
    assert.equal(r.code, 1, JSON.stringify(options));
    assert.match(r.stderr, /You are signed in, but there is no shell here\. Push with git, or run a command/);
    assert.equal(r.stdout, '');
  }
});

test('a pty request is refused, so -tt gives no shell', async () => {
  for (const command of ['apps', undefined]) {
    const r = await sshRaw(p, alice.keyPath, command, { options: ['-tt'] });
    assert.notEqual(r.code, 0, String(command));
    assert.match(r.stderr, /PTY allocation request failed on channel 0/);
    assert.doesNotMatch(r.stdout, /alpha|\$ |# /);
  }
});

test('subsystems (sftp) are refused', async () => {
  const r = await sshRaw(p, alice.keyPath, 'sftp', { options: ['-s'] });
  assert.equal(r.code, 255);
  assert.match(r.stderr, /subsystem request failed on channel 0/);
});

test('local port forwarding (-L) is refused: the forwarded connection never reaches the target', async () => {
  const sock = path.join(dir, 'fwd.sock');
  const fwd = sshBackground(p, alice.keyPath, ['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `${sock}:127.0.0.1:${p.httpPort}`]);
  try {
    await fwd.waitFor(/Entering interactive session/);
    const received = await new Promise<string>((resolve) => {
      let data = '';
      const s = net.connect(sock, () => s.write('GET /healthz HTTP/1.0\r\n\r\n'));
      s.setEncoding('utf8');
      s.on('data', (c: string) => { data += c; });
      s.on('error', () => undefined);
      s.on('close', () => resolve(data));
    });
    assert.equal(received, '', 'the platform forwarded a connection to its own HTTP port');
    await fwd.waitFor(/channel \d+: open failed/);
  } finally {
    await fwd.stop();
  }
});

test('stdio forwarding (-W) and remote forwarding (-R) are refused', async () => {
  const w = await sshRaw(p, alice.keyPath, undefined, { options: ['-W', `127.0.0.1:${p.httpPort}`] });
  assert.equal(w.code, 255);
  assert.match(w.stderr, /stdio forwarding failed/);
  const r = await sshRaw(p, alice.keyPath, undefined, { options: ['-N', '-o', 'ExitOnForwardFailure=yes', '-R', '0:127.0.0.1:80'] });
  assert.equal(r.code, 255);
  assert.match(r.stderr, /remote port forwarding failed for listen port 0/);
});

test('unknown exec commands are refused with a non-zero exit', async () => {
  const commands = ['rm -rf /', 'bash', 'sh -c id', 'scp -t /tmp', 'cat /etc/passwd', "git upload-archive 'alpha.git'"];
  const results = await Promise.all(commands.map((c) => sshRaw(p, alice.keyPath, c)));
  results.forEach((r, i) => {
    const command = commands[i]!;
    assert.equal(r.code, 1, command);
    assert.equal(r.stderr, ` !     Unknown command "${command.split(' ')[0]}"; run ssh -p ${p.sshPort} git@localhost --help for the list\n`, command);
    assert.equal(r.stdout, '', command);
  });
  // git-looking commands get a git protocol ERR line, which git prints as "remote error: ..."
  const gitCommands = ["git-upload-archive 'x.git'", 'git-shell', 'git-receive-pack'];
  const gitResults = await Promise.all(gitCommands.map((c) => sshRaw(p, alice.keyPath, c)));
  gitResults.forEach((r, i) => {
    assert.equal(r.code, 1, gitCommands[i]);
    assert.match(r.stdout, /^[0-9a-f]{4}ERR .*(is not available here: only git push and git fetch\/clone are|takes exactly one repository)/, gitCommands[i]);
  });
});

test('git exec with a repo path outside the repo root is refused before git runs', async () => {
  const before = await snapshot();
  const paths = ['../../etc.git', '/tmp/x.git', 'a/b.git', '/../alpha.git', 'alpha.git/../../x.git', '.git', "x.git' 'y.git"];
  const commands = paths.flatMap((repoPath) => ['git-receive-pack', 'git-upload-pack'].map((service) => `${service} '${repoPath}'`));
  const results = await Promise.all(commands.map((c) => sshRaw(p, alice.keyPath, c)));
  results.forEach((r, i) => {
    assert.equal(r.code, 1, commands[i]);
    assert.match(r.stdout, /^[0-9a-f]{4}ERR (".*" is not a repository here: use <app>\.git|git-\S+ takes exactly one repository)/, `${commands[i]}: ${r.stdout}`);
  });
  assert.equal(fs.existsSync('/tmp/x.git'), false);
  assert.deepEqual(await snapshot(), before);
});

test('real git with an escaping repo path prints the refusal and changes nothing', async () => {
  const repo = await fixtureRepo('static', dir);
  const before = await snapshot();
  for (const repoPath of ['../../etc.git', 'a/b.git']) {
    const push = await git(repo, alice.sshEnv, 'push', `ssh://git@127.0.0.1:${p.sshPort}/${repoPath}`, 'main');
    assert.equal(push.code, 128, push.stderr);
    assert.match(push.stderr, /fatal: remote error: ".*" is not a repository here: use <app>\.git/);
    const clone = await git(dir, alice.sshEnv, 'clone', `git@127.0.0.1:${repoPath}`, path.join(dir, 'clone-escape'));
    assert.notEqual(clone.code, 0);
    assert.equal(fs.existsSync(path.join(dir, 'clone-escape')), false);
  }
  assert.deepEqual(await snapshot(), before);
});

test('a key that was never added is refused by SSH auth', async () => {
  const stranger = keygen(dir, 'stranger', 'ed25519');
  const r = await sshRaw(p, stranger, 'apps', { options: ['-o', 'LogLevel=INFO'] });
  assert.equal(r.code, 255);
  assert.match(r.stderr, /git@127\.0\.0\.1: Permission denied \(publickey\)\./);
  assert.equal(r.stdout, '');
  const push = await git(await fixtureRepo('static', dir), sshEnv(stranger), 'push', `ssh://git@127.0.0.1:${p.sshPort}/alpha.git`, 'main');
  assert.equal(push.code, 128);
  assert.match(push.stderr, /Permission denied \(publickey\)/);
});

test('password and keyboard-interactive auth are never offered', async () => {
  const r = await run('ssh', [...sshOptions(p, alice.keyPath, 'DEBUG1'), '-o', 'PreferredAuthentications=password,keyboard-interactive',
    '-o', 'PubkeyAuthentication=no', 'git@127.0.0.1', 'apps']);
  assert.equal(r.code, 255);
  assert.match(r.stderr, /Authentications that can continue: publickey\r?\n/);
  assert.doesNotMatch(r.stderr, /Authentications that can continue: .*(password|keyboard)/);
  assert.match(r.stderr, /Permission denied \(publickey\)/);
  assert.equal(r.stdout, '');
});
