// test/support/pg-probe.ts — looks at a running embedded PostgreSQL from outside, as an attacker on the machine would:
// its postmaster's sockets against the kernel's TCP and Unix socket tables, and a connection attempt as another uid.
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { run, type RunResult } from './platform.ts';

/** The postmaster's pid, from the first line of postmaster.pid in the cluster's directory. */
export function postmasterPid(pgDir: string): number {
  return Number(fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

/** The inodes of the sockets a process holds open (its /proc/<pid>/fd links to `socket:[N]`). */
export function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    if (m) inodes.add(m[1]!);
  }
  return inodes;
}

/** The inodes of every listening TCP socket on the machine, IPv4 and IPv6 (state 0A is LISTEN). */
export function listeningTcpInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] === '0A') inodes.add(cols[9]!);
    }
  }
  return inodes;
}

/** The inodes of the Unix sockets bound at socketPath (/proc/net/unix: the path is the last column). */
export function unixSocketInodes(socketPath: string): Set<string> {
  const inodes = new Set<string>();
  for (const line of fs.readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols[7] === socketPath) inodes.add(cols[6]!);
  }
  return inodes;
}

/** Opens a Unix socket at socketPath from a node process running as uid:gid; prints `connected` or the error code. */
export function connectAs(uid: number, gid: number, socketPath: string): Promise<RunResult> {
  const script = `require('net').connect(process.argv[1]).on('connect', function () { console.log('connected'); this.destroy(); })
    .on('error', (e) => console.log(e.code))`;
  return run('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', process.execPath, '-e', script, socketPath]);
}

/** Runs fn with a pg client on url, closed afterwards. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
