// runtime/local/jail.test.ts — app processes in real bubblewrap sandboxes (as root, each app its own uid): what they
// can reach, what they cannot, that stopping one ends all it started, and that one over its memory limit is restarted.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Jail } from './jail.ts';
import { ROOT_ENV } from './sandbox.ts';
import { makeTempDir, startHarness, toRelease, waitFor } from '../../test/support/local-runtime.ts';
import { probeSandbox } from '../../core/isolation.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (per-app uids)' : probeSandbox() ?? false;
const uidA = 200_901;
const uidB = 200_902;

/** A fake data dir holding a secret and two apps' slugs, each owned by its app; and the jail over it. */
async function setup(t: TestContext, limits = { memoryMb: 64, pids: 64, nofile: 256 }) {
  const dataDir = path.join(await makeTempDir(t, 'jail'), 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.writeFileSync(path.join(dataDir, 'ssh_host_key'), 'SECRET-KEY\n', { mode: 0o600 });
  const { jail, notes } = Jail.forHost('sandbox', limits, process.env.PATH ?? '/usr/bin:/bin', dataDir);
  const slug = async (app: string, uid: number) => {
    const dir = path.join(dataDir, 'apps', app, 'slugs', '1');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'f'), `${app}'s file\n`);
    await jail.own(dir, uid);
    return dir;
  };
  return { dataDir, jail, notes, slug };
}

/** The app's log lines from `source`, as text. */
function output(logs: Array<{ app: string; line: string; source: string }>, app: string): string {
  return logs.filter((l) => l.app === app && l.source !== 'paas').map((l) => l.line).join('\n');
}

test('a sandboxed process runs as its app uid in /app, writes /app and /tmp, and sees neither the data dir, another app nor other pids; stopping it ends its setsid child', { skip }, async (t) => {
  const { dataDir, jail, notes, slug } = await setup(t);
  assert.ok(notes.some((n) => n.startsWith('limits: ') && n.includes('cgroup')), notes.join('\n'));
  const h = await startHarness(t, { jail });
  const dirA = await slug('a', uidA);
  const dirB = await slug('b', uidB);
  const probe = [
    'echo "uid=$(id -u) gid=$(id -g) groups=$(id -G) home=$HOME pwd=$(pwd)"', 'cat /app/f', 'echo w > /app/written && echo app-write-ok',
    'echo t > /tmp/t && echo tmp-write-ok', 'echo "tmp-kb=$(df -k /tmp | awk \'NR == 2 { print $2 }\')"',
    'unshare -U true 2>/dev/null || echo userns-refused', 'echo x > /etc/x 2>/dev/null || echo etc-write-refused', 'echo x > /usr/x 2>/dev/null || echo usr-write-refused',
    `cat ${dataDir}/ssh_host_key 2>/dev/null || echo data-dir-refused`, `cat ${dirB}/f 2>/dev/null || echo other-slug-refused`,
    `ls ${dataDir} 2>/dev/null || echo data-dir-hidden`, 'echo "pids=$(ls /proc | grep -c "^[0-9]")"',
    'kill -9 "$B_PID" 2>/dev/null || echo kill-refused', '(setsid sh -c "echo setsid-child-started; exec sleep 300" &)', 'sleep 300',
  ].join('; ');
  await h.runtime.deploy({ ...toRelease('b', dirB, 1, [{ type: 'worker', command: 'sleep 300', quantity: 1 }]), uid: uidB }, () => {});
  const b = h.runtime.status('b')[0]?.pid as number;
  await h.runtime.deploy({ ...toRelease('a', dirA, 1, [{ type: 'worker', command: probe, quantity: 1 }], { B_PID: String(b) }), uid: uidA }, () => {}).catch(() => {});
  const out = await waitFor('the probe output', () => { const o = output(h.logs, 'a'); return o.includes('setsid-child-started') ? o : undefined; });
  assert.match(out, new RegExp(`uid=${uidA} gid=${uidA} groups=${uidA} home=/app pwd=/app`));
  for (const line of ["a's file", 'app-write-ok', 'tmp-write-ok', 'etc-write-refused', 'usr-write-refused', 'data-dir-refused', 'other-slug-refused', 'data-dir-hidden', 'kill-refused', 'tmp-kb=65536', 'userns-refused']) assert.ok(out.includes(line), `${line} in:\n${out}`);
  assert.equal(fs.readFileSync(path.join(dirA, 'written'), 'utf8'), 'w\n');
  assert.ok(Number(/pids=(\d+)/.exec(out)?.[1]) <= 6, `only its own processes in /proc:\n${out}`);
  const mine = () => execFileSync('ps', ['-o', 'pid=,cmd=', '-u', String(uidA)], { encoding: 'utf8' }).trim();
  assert.match(mine(), /sleep 300/);
  await h.runtime.stop('a');
  await waitFor('every process of app a to end, the setsid child too', () => { try { return mine() === ''; } catch { return true; } }, 5000);
  assert.ok(h.runtime.status('b')[0]?.state === 'up', 'app b runs on');
});

test('a process over its memory limit is killed, shows as out of memory, and is restarted', { skip }, async (t) => {
  const { jail, slug } = await setup(t, { memoryMb: 48, pids: 64, nofile: 256 });
  const h = await startHarness(t, { jail });
  const dir = await slug('hog', uidA);
  const hog = 'node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1))"';
  await h.runtime.deploy({ ...toRelease('hog', dir, 1, [{ type: 'worker', command: hog, quantity: 1 }]), uid: uidA }, () => {});
  const st = await waitFor('the hog to be marked out of memory', () => h.runtime.status('hog').find((s) => s.reason === 'out of memory'), 20_000);
  assert.equal(st.state, 'crashed');
  assert.ok(h.logs.some((l) => l.app === 'hog' && l.line === 'worker.1: out of memory (the limit is 48 MB)'));
  await waitFor('a restart', () => h.runtime.status('hog').find((s) => s.restarts > 0), 10_000);
});

/** Runs one command in the jail's sandbox as uidA in `dir`; its stdout once it has exited. */
async function runIn(jail: Jail, dir: string, command: string, env: Record<string, string> = {}): Promise<string> {
  const launch = jail.plan({ app: 'x', name: 'run.1', uid: uidA, dir, argv: ['/bin/sh', '-c', command], env: { PATH: '/usr/bin:/bin', ...env } });
  const child = spawn(launch.file, launch.args, launch.options);
  launch.started();
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += String(d); });
  child.stderr?.on('data', (d: Buffer) => { out += String(d); });
  await new Promise((resolve) => child.on('close', resolve));
  launch.finish();
  return out;
}

test('a data dir under a read-only bound dir (as /opt/paas/data under /opt) shows inside the sandbox as an empty dir', { skip }, async (t) => {
  // Not under /tmp, which the sandbox's own /tmp would hide anyway: a dir bound read-only like /opt.
  const opt = fs.mkdtempSync('/var/tmp/paas-opt-');
  fs.chmodSync(opt, 0o755);
  t.after(() => fs.rmSync(opt, { recursive: true, force: true }));
  const dataDir = path.join(opt, 'data');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.writeFileSync(path.join(dataDir, 'ssh_host_key'), 'SECRET-KEY\n', { mode: 0o600 });
  const { jail } = Jail.forHost('sandbox', { memoryMb: 64, pids: 64, nofile: 256 }, process.env.PATH ?? '/usr/bin:/bin', dataDir);
  const dir = path.join(dataDir, 'apps', 'a', 'slugs', '1');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'f'), "a's file\n");
  await jail.own(dir, uidA);
  const bound = new Jail({ ...jail.opts, readOnly: [...jail.opts.readOnly, opt] });
  assert.deepEqual(bound.masked, [dataDir]);
  const look = `ls -A ${opt}; echo "data:[$(ls -A ${dataDir} 2>&1)]"; cat ${dataDir}/ssh_host_key 2>/dev/null || echo key-hidden; touch ${dataDir}/x 2>/dev/null || echo mask-read-only; cat /app/f`;
  const out = await runIn(bound, dir, look);
  assert.match(out, /^data$/m, `the bound dir shows the data dir itself:\n${out}`);
  assert.match(out, /^data:\[\]$/m, `but empty:\n${out}`);
  assert.ok(out.includes('key-hidden') && out.includes('mask-read-only') && out.includes("a's file"), out);
  const unmasked = await runIn(new Jail({ ...bound.opts, dataDir: '/var/tmp' }), dir, look);
  assert.doesNotMatch(unmasked, /^data:\[\]$/m, `without the mask the data dir is there (so the test can fail):\n${unmasked}`);
});

test('with cgroups the wrapper starts as root with a fixed env (no tenant LD_PRELOAD), joins them, and the app runs as its uid with its own env', { skip }, async (t) => {
  const { jail, slug } = await setup(t);
  assert.equal(jail.opts.cgroups.kind !== 'none', true, 'this host has cgroups');
  const dir = await slug('a', uidA);
  const launch = jail.plan({ app: 'a', name: 'run.1', uid: uidA, dir, argv: ['true'], env: { LD_PRELOAD: '/app/evil.so', FOO: 'a b' } });
  launch.finish();
  assert.equal(launch.options.uid, undefined, 'spawned as root, to join its cgroups (v2 requires it)');
  assert.deepEqual(launch.options.env, ROOT_ENV);
  assert.equal(launch.args[launch.args.indexOf('--') + 1], jail.opts.setpriv);
  // That it joined its cgroups shows in the out-of-memory test (the kill is counted in its own cgroup).
  const out = await runIn(jail, dir, 'echo "uid=$(id -u) groups=$(id -G) foo=[$FOO] preload=[$LD_PRELOAD] nofile=$(ulimit -n)"', { FOO: 'a b', LD_PRELOAD: '' });
  assert.match(out, new RegExp(`uid=${uidA} groups=${uidA} foo=\\[a b\\] preload=\\[\\] nofile=256`), out);
});

test('a slug built before sandboxes (root\'s) becomes the app\'s own when its release is deployed, and the app writes to it', { skip }, async (t) => {
  const { dataDir, jail } = await setup(t);
  const h = await startHarness(t, { jail });
  const dir = path.join(dataDir, 'apps', 'old', 'slugs', '1');
  fs.mkdirSync(path.join(dir, 'sub'), { recursive: true, mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'sub', 'f'), 'old\n');
  assert.equal(fs.statSync(dir).uid, 0);
  const command = 'cat sub/f && echo w > sub/written && echo adopted-write-ok; sleep 300';
  await h.runtime.deploy({ ...toRelease('old', dir, 1, [{ type: 'worker', command, quantity: 1 }]), uid: uidA }, () => {});
  await waitFor('the write', () => output(h.logs, 'old').includes('adopted-write-ok') || undefined);
  assert.equal(fs.statSync(path.join(dir, 'sub', 'f')).uid, uidA);
  await h.runtime.stop('old');
});

test('a sandbox is refused for an app without a uid of its own while the platform is root', { skip }, async (t) => {
  const { jail } = await setup(t);
  assert.throws(() => jail.plan({ app: 'x', name: 'web.1', dir: '/tmp', argv: ['true'], env: {} }), /no uid of its own/);
});

test('a release whose slug is gone fails to boot with the reason, and holds no port', { skip }, async (t) => {
  const { jail, dataDir } = await setup(t);
  const h = await startHarness(t, { jail });
  const gone = path.join(dataDir, 'apps', 'gone', 'slugs', '1');
  const deploy = h.runtime.deploy({ ...toRelease('gone', gone, 1, [{ type: 'web', command: 'node server.js', quantity: 1 }]), uid: uidA }, () => {});
  await assert.rejects(deploy, /web process did not start: could not be started \(ENOENT/);
  assert.deepEqual(h.runtime.status('gone'), []);
});
