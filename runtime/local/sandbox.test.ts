// runtime/local/sandbox.test.ts — the sandbox's argv, as built from a spec: namespaces, binds, limits, no shell strings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CGROUP_JOIN_SCRIPT, ENV_FD, dropsUidInside, toEnvArgs, toSandboxArgv, toSandboxEnv, type SandboxSpec } from './sandbox.ts';
import { parseProcCgroup } from './cgroups.ts';
import { maskedDirs } from './jail.ts';

const spec: SandboxSpec = {
  uid: 200001, cache: false, readOnly: ['/usr', '/etc', '/root/.nvm/versions/node/v22'], masked: [], symlinks: [['usr/bin', '/bin']],
  argv: ['/bin/sh', '-c', 'node server.js; rm -rf / $(evil)'], limits: { memoryMb: 256, pids: 64, nofile: 1024 }, cgroupProcs: [],
};

/** The value after a flag (the first occurrence). */
function after(argv: string[], flag: string, n = 1): string[] {
  const i = argv.indexOf(flag);
  return i < 0 ? [] : argv.slice(i + 1, i + 1 + n);
}

test('the sandbox argv unshares PID, IPC, UTS and user namespaces, drops every capability and dies with the platform', () => {
  const argv = toSandboxArgv(spec);
  for (const flag of ['--unshare-user', '--disable-userns', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session']) assert.ok(argv.includes(flag), flag);
  assert.deepEqual(after(argv, '--cap-drop'), ['ALL']);
  assert.ok(!argv.includes('--unshare-net') && !argv.includes('--unshare-all'), 'the network stays shared: apps listen on $PORT');
  assert.ok(!argv.includes('--share-net'));
});

test('the sandbox shows the app at /app (from an fd, no data dir path), a private /tmp, its own /proc and /dev, and read-only system dirs', () => {
  const argv = toSandboxArgv(spec);
  assert.deepEqual(after(argv, '--bind-fd', 2), ['3', '/app']);
  assert.deepEqual(after(argv, '--chdir'), ['/app']);
  assert.deepEqual(after(argv, '--size', 3), [String(256 * 1024 * 1024), '--tmpfs', '/tmp'], '/tmp holds at most the memory limit');
  assert.deepEqual(after(argv, '--proc'), ['/proc']);
  assert.deepEqual(after(argv, '--dev'), ['/dev']);
  assert.deepEqual(after(argv, '--remount-ro'), ['/'], 'the sandbox root itself is read-only');
  assert.ok(argv.indexOf('--remount-ro') > argv.lastIndexOf('--bind-fd'), 'after every mount is made');
  assert.deepEqual(after(argv, '--symlink', 2), ['usr/bin', '/bin']);
  const ro = argv.flatMap((a, i) => (a === '--ro-bind' ? [`${argv[i + 1]}=>${argv[i + 2]}`] : []));
  assert.deepEqual(ro, ['/usr=>/usr', '/etc=>/etc', '/root/.nvm/versions/node/v22=>/root/.nvm/versions/node/v22']);
  assert.ok(!argv.includes('--bind'), 'nothing else is bound (the list above has no host root)');
  assert.ok(!argv.includes('/cache'), 'no cache outside builds');
  assert.deepEqual(after(toSandboxArgv({ ...spec, cache: true }), '--bind-fd', 4).slice(2), ['--bind-fd', '4']);
});

test('a data dir under a read-only bound dir (/opt/paas/data) is masked by an empty tmpfs after the binds; one elsewhere needs no mask', () => {
  assert.deepEqual(maskedDirs(['/usr', '/etc', '/opt'], '/opt/paas/data'), ['/opt/paas/data']);
  assert.deepEqual(maskedDirs(['/usr', '/etc', '/opt'], '/var/lib/paas'), []);
  assert.deepEqual(maskedDirs(['/usr', '/opt'], '/optional/data'), [], 'a sibling with a common prefix is not inside');
  const argv = toSandboxArgv({ ...spec, readOnly: [...spec.readOnly, '/opt'], masked: ['/opt/paas/data'] });
  const mask = argv.findIndex((a, i) => a === '--tmpfs' && argv[i + 1] === '/opt/paas/data');
  assert.ok(mask > argv.lastIndexOf('--ro-bind'), 'after every read-only bind');
  assert.deepEqual(argv.slice(mask + 2, mask + 4), ['--remount-ro', '/opt/paas/data'], 'and read-only: no writable RAM there');
  assert.ok(mask < argv.indexOf('--remount-ro'));
});

test('the command is the argv tail, after --, untouched: a Procfile command reaches /bin/sh -c as one argument', () => {
  const argv = toSandboxArgv(spec);
  assert.deepEqual(argv.slice(-3), ['/bin/sh', '-c', 'node server.js; rm -rf / $(evil)']);
  assert.equal(argv[argv.length - 4], '--');
  assert.equal(argv.filter((a) => a.includes('evil')).length, 1);
});

test('without cgroups, prlimit sets open files, processes per uid when the app has its own uid, and the address space', () => {
  const argv = toSandboxArgv(spec);
  assert.equal(argv[0], 'prlimit');
  assert.ok(argv.includes('--nofile=1024:1024'));
  assert.ok(argv.includes('--nproc=64:64'));
  assert.ok(argv.includes(`--as=${256 * 4 * 1024 * 1024}`));
  const shared = toSandboxArgv({ ...spec, uid: undefined });
  assert.ok(!shared.some((a) => a.startsWith('--nproc')), 'a uid shared with the platform is not capped: it would count the platform too');
});

test('with cgroups, a constant script sets the open-files limit and joins them (the files as arguments) as root, then setpriv drops to the app uid right before bwrap', () => {
  const procs = ['/sys/fs/cgroup/memory/paas/a.web.1/cgroup.procs', '/sys/fs/cgroup/pids/paas/a.web.1/cgroup.procs'];
  const withCgroups = { ...spec, cgroupProcs: procs };
  const argv = toSandboxArgv(withCgroups, '/usr/bin/bwrap', 'prlimit', '/usr/bin/setpriv');
  assert.deepEqual(argv.slice(0, 8), ['/bin/sh', '-c', CGROUP_JOIN_SCRIPT, 'paas-sandbox', '1024', ...procs, '--']);
  assert.deepEqual(argv.slice(8, 14), ['/usr/bin/setpriv', '--reuid=200001', '--regid=200001', '--clear-groups', '--', '/usr/bin/bwrap']);
  assert.ok(dropsUidInside(withCgroups), 'spawned as root: under cgroup v2 only root may move it into its cgroup');
  assert.deepEqual(after(argv, '--args'), [String(ENV_FD)], 'bwrap reads the app env from an fd; the root wrapper never holds it');
  assert.equal(toEnvArgs({ A: 'x y', B: '' }).toString(), '--clearenv\0--setenv\0A\0x y\0--setenv\0B\0\0');
  assert.ok(!argv.includes('prlimit') && !argv.some((a) => a.startsWith('--as=')));
  const shared = { ...withCgroups, uid: undefined };
  assert.equal(toSandboxArgv(shared, '/usr/bin/bwrap')[8], '/usr/bin/bwrap', 'no uid to switch to: bwrap right after the script');
  assert.ok(!dropsUidInside(shared) && !dropsUidInside(spec), 'no cgroups: spawned as the app uid, as before');
  assert.ok(!toSandboxArgv(spec).includes('--args') && !toSandboxArgv(shared).includes('--args'), 'and its env is the process env');
});

test('inside, HOME and the working dir are /app and TMPDIR is the private /tmp; the rest of the env is kept', () => {
  assert.deepEqual(toSandboxEnv({ PATH: '/usr/bin', HOME: '/root', FOO: 'x' }), { PATH: '/usr/bin', HOME: '/app', FOO: 'x', TMPDIR: '/tmp', PWD: '/app' });
});

test('/proc/self/cgroup is read per controller, v1 and v2 alike', () => {
  const m = parseProcCgroup('9:name=systemd:/\n8:pids:/\n4:memory:/process_api/26c4\n1:cpu,cpuacct:/x\n0::/user.slice\n');
  assert.equal(m.get('memory'), '/process_api/26c4');
  assert.equal(m.get('pids'), '/');
  assert.equal(m.get('cpuacct'), '/x');
  assert.equal(m.get(''), '/user.slice');
});
