// bench/push-to-live.ts — push-to-live time of a zero-dependency Node app, split into the app's own build and
// boot (the same npm install and `npm start` run directly, side by side in this run) and the platform's
// overhead. Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node --import tsx bench/push-to-live.ts [runs]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createUser, fixtureRepo, git, run, sshRemote, startPlatform, tempDir, getApp } from '../test/support/platform.ts';
import { findFreePort } from '../core/net.ts';

const runs = Number(process.argv[2] ?? 5);


/** The app's own work: npm install in a copy of the app, then start it and wait until it answers. */
async function directBuildAndBoot(dir: string): Promise<number> {
  const copy = path.join(dir, `direct-${Date.now()}`);
  fs.cpSync(path.join(dir, 'src'), copy, { recursive: true });
  const t0 = performance.now();
  await run('npm', ['install', '--no-audit', '--no-fund'], { cwd: copy });
  const port = await findFreePort();
  const child = spawn('npm', ['start'], { cwd: copy, env: { ...process.env, PORT: String(port) }, detached: true });
  for (;;) {
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = performance.now() - t0;
  process.kill(-child.pid!, 'SIGTERM');
  return ms;
}

async function main(): Promise<void> {
  const dir = tempDir('paas-bench-');
  const p = await startPlatform();
  try {
    const user = await createUser(p, 'bench@example.com', dir);
    const repo = await fixtureRepo('node', dir);
    fs.cpSync(repo, path.join(dir, 'src'), { recursive: true, filter: (f) => !f.includes('.git') });
    const push: number[] = [];
    const direct: number[] = [];
    for (let i = 0; i < runs; i++) {
      const app = `bench${i}`;
      await p.cli(['apps:create', app, '--owner', user.email]);
      const t0 = performance.now();
      const res = await git(repo, user.sshEnv, 'push', sshRemote(p, app), 'main');
      if (res.code !== 0 || (await getApp(p, app)).status !== 200) throw new Error(`push failed:\n${res.stderr}`);
      push.push(performance.now() - t0);
      direct.push(await directBuildAndBoot(dir));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const [mp, md] = [median(push), median(direct)];
    console.log(`runs: ${runs}`);
    console.log(`push to live (median):          ${mp.toFixed(0)} ms`);
    console.log(`app's own build + boot (median): ${md.toFixed(0)} ms`);
    console.log(`platform overhead:               ${(mp - md).toFixed(0)} ms (push/direct ratio ${(mp / md).toFixed(2)})`);
  } finally {
    await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

await main();
