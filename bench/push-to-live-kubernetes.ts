// bench/push-to-live-kubernetes.ts — push-to-live of a small Node app with a dependency (test/fixtures/apps/node-deps:
// a local package and an install step that does real work), first push and a repeat that changes only app code,
// in Kubernetes mode on the test cluster (builder Job, Kaniko with its layer cache in the registry, rollout) and in
// the embedded mode, side by side in one run. The issue's target: in Kubernetes mode, repeat ≤ 50% of first.
// The Kubernetes pushes are split into phases from the time each push line arrived: the builder (pod start, source
// fetch, Dockerfile), Kaniko (its container start, base image, steps, push), and the release (apply and rollout).
// Needs the test cluster: eval "$(scripts/test-cluster.sh env)".
// Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/push-to-live-kubernetes.ts [rounds]
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { getService, startKubePlatform } from '../test/support/kube-platform.ts';
import { createUser, fixtureRepo, getApp, git, sshRemote, startPlatform, tempDir, type Platform, type TestUser } from '../test/support/platform.ts';
import { commitAll, livePush, stopPlatform, type TimedLine } from '../test/support/push.ts';

const rounds = Number(process.argv[2] ?? 1);

interface Timed { total: number; phases?: Record<string, number> }

/** Polls until `answers` says the app serves the pushed code; returns when (ms since t0). */
async function until(answers: () => Promise<boolean>, t0: number, timeoutMs = 120_000): Promise<number> {
  for (;;) {
    if (await answers()) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error('the app did not answer in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pushes main and waits until `answers`; with `phases`, splits the time by the push's lines. */
async function pushToLive(repo: string, user: TestUser, remote: string, answers: () => Promise<boolean>, phases: boolean): Promise<Timed> {
  const t0 = performance.now();
  const push = livePush(repo, user.sshEnv, 'push', remote, 'main');
  const r = await push.done;
  if (r.code !== 0) throw new Error(`push failed:\n${r.stderr}`);
  const total = await until(answers, t0);
  if (!phases) return { total };
  const at = (match: RegExp): number => push.lines.find((l: TimedLine) => match.test(l.line))?.at ?? NaN;
  const builder = at(/-----> Building the image with Kaniko/);
  const kanikoFirst = at(/^remote: {8}INFO\[/);
  const pushed = at(/^remote: {8}Pushed /);
  return {
    total,
    phases: {
      'push → builder done (pod start, fetch, Dockerfile)': builder,
      'Kaniko container start': kanikoFirst - builder,
      'Kaniko build and push': pushed - kanikoFirst,
      'release: apply, rollout, Service answering': total - pushed,
    },
  };
}

async function firstAndRepeat(p: Platform, user: TestUser, dir: string, answersWith: (app: string, mark: string) => Promise<boolean>, phases: boolean): Promise<[Timed, Timed]> {
  const app = `b${crypto.randomBytes(3).toString('hex')}`;
  const created = await p.cli(['apps:create', app, '--owner', user.email]);
  if (created.code !== 0) throw new Error(`apps:create failed: ${created.stderr}`);
  const repo = await fixtureRepo('node-deps', dir);
  const first = await pushToLive(repo, user, sshRemote(p, app), () => answersWith(app, 'A'), phases);
  fs.writeFileSync(path.join(repo, 'mark.txt'), 'B\n'); // app code only: package.json and its lock are unchanged
  await commitAll(repo, 'code B');
  const repeat = await pushToLive(repo, user, sshRemote(p, app), () => answersWith(app, 'B'), phases);
  await p.cli(['apps:destroy', app, '--confirm', app]);
  return [first, repeat];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const dir = tempDir('paas-bench-');
  const cleanups: Array<() => Promise<void>> = [];
  try {
    const k = await startKubePlatform();
    cleanups.unshift(() => k.destroy());
    const local = await startPlatform();
    cleanups.unshift(() => stopPlatform(local));
    const kUser = await createUser(k.p, 'bench@example.com', dir);
    const lUser = await createUser(local, 'bench-local@example.com', dir);
    const results: Record<'kubernetes' | 'local', Array<[Timed, Timed]>> = { kubernetes: [], local: [] };
    for (let i = 0; i < rounds; i++) {
      results.kubernetes.push(await firstAndRepeat(k.p, kUser, dir, async (app, mark) => (await getService(k, app).catch(() => ({ body: '' }))).body.includes(`code ${mark}`), true));
      results.local.push(await firstAndRepeat(local, lUser, dir, async (app, mark) => (await getApp(local, app)).body.includes(`code ${mark}`), false));
    }
    console.log(`push-to-live, node app with a dependency (test/fixtures/apps/node-deps), ${rounds} round(s), medians`);
    console.log(`${'mode'.padEnd(12)}${'first'.padStart(10)}${'repeat'.padStart(10)}${'repeat/first'.padStart(14)}`);
    const firsts: Record<string, number> = {};
    for (const mode of ['kubernetes', 'local'] as const) {
      const first = median(results[mode].map(([f]) => f.total));
      const repeat = median(results[mode].map(([, r]) => r.total));
      firsts[mode] = first;
      console.log(`${mode.padEnd(12)}${s(first).padStart(10)}${s(repeat).padStart(10)}${`${((repeat / first) * 100).toFixed(0)}%`.padStart(14)}`);
    }
    console.log(`kubernetes/local, first push: ${(firsts.kubernetes! / firsts.local!).toFixed(1)}x; target: kubernetes repeat ≤ 50% of first`);
    for (const [label, index] of [['first', 0], ['repeat', 1]] as const) {
      console.log(`kubernetes ${label} push, by phase (median):`);
      const names = Object.keys(results.kubernetes[0]![index].phases!);
      for (const name of names) console.log(`  ${name.padEnd(52)}${s(median(results.kubernetes.map((r) => r[index].phases![name]!))).padStart(9)}`);
    }
  } finally {
    for (const cleanup of cleanups) await cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
