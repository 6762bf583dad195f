// runtime/local/plan-memory.test.ts — a plan's memory per process reaches the sandbox: the launch of a process whose
// release carries memoryMb gets that limit (its tmpfs size and, with cgroups, its memory.max), not the platform's;
// and Docker mode's containers get it as their HostConfig.Memory.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Jail } from './jail.ts';
import { limitsFor, toCreateOptions } from '../docker/containers.ts';
import { makeTempDir } from '../../test/support/local-runtime.ts';
import { probeSandbox } from '../../core/isolation.ts';

const skip = process.getuid?.() !== 0 ? 'needs root (per-app uids)' : probeSandbox() ?? false;

test("a launch with the plan's memoryMb gets that limit, one without gets the platform's", { skip }, async (t) => {
  const dataDir = path.join(await makeTempDir(t, 'plan-memory'), 'data');
  const dir = path.join(dataDir, 'apps', 'm', 'slugs', '1');
  fs.mkdirSync(dir, { recursive: true });
  const { jail } = Jail.forHost('sandbox', { memoryMb: 512, pids: 64, nofile: 256 }, process.env.PATH ?? '/usr/bin:/bin', dataDir);
  const tmpfsSize = (args: string[]) => Number(args[args.indexOf('--size') + 1]);
  const planned = jail.plan({ app: 'm', name: 'web.1', uid: 200_950, dir, argv: ['true'], env: {}, memoryMb: 96 });
  const platform = jail.plan({ app: 'm', name: 'web.2', uid: 200_950, dir, argv: ['true'], env: {} });
  try {
    assert.equal(tmpfsSize(planned.args), 96 * 1024 * 1024);
    assert.equal(tmpfsSize(platform.args), 512 * 1024 * 1024);
    // With cgroups, the process's own cgroup (named in its argv, which joins it) holds the plan's limit.
    const procs = planned.args.find((a) => a.endsWith('cgroup.procs'));
    if (jail.opts.cgroups.kind !== 'none' && procs) {
      const dir = path.dirname(procs);
      const file = ['memory.max', 'memory.limit_in_bytes'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
      if (file) assert.equal(fs.readFileSync(file, 'utf8').trim(), String(96 * 1024 * 1024));
    }
  } finally {
    planned.finish();
    platform.finish();
  }
});

test("Docker mode: a release with the plan's memoryMb runs in containers limited to it, else to the platform's", () => {
  const limits = { memoryMb: 512, pids: 64, nofile: 256, cpus: 1 };
  const plan = { platform: 'p', app: 'm', version: 1, type: 'web', index: 1, role: 'process', name: 'c', image: 'i', command: '', env: {} } as const;
  const memory = (memoryMb?: number) => toCreateOptions({ ...plan, limits: limitsFor(limits, { memoryMb }) }).HostConfig?.Memory;
  assert.equal(memory(128), 128 * 1024 * 1024);
  assert.equal(memory(undefined), 512 * 1024 * 1024);
});
