// test/compat/cases.ts — one check per sample app in test/compat/apps, the one its author would run after a push
// (an HTTP request through the router, a `ps` line, a `logs` line, a `run` exit code); compat.test.ts runs them per mode.
import assert from 'node:assert/strict';
import {
  assertRunsWhereExpected, cli, failureLines, get, logLine, newApp, ps, psWhenUp, push, sampleRepo, shown, type CompatContext, type PushResult,
} from './harness.ts';

export interface CompatCase {
  /** The sample's folder under test/compat/apps, also the app's name. */
  app: string;
  /** What its author expects, in a few words (the subtest's name). */
  expects: string;
  check(ctx: CompatContext, note: (line: string) => void): Promise<void>;
}

/** A push that deployed a web: exit 0, the "is live at" line naming the app's URL, and processes where the mode runs them. */
async function assertLive(ctx: CompatContext, app: string, r: PushResult, dockerfileApp = false): Promise<void> {
  assert.equal(r.code, 0, shown(r));
  assert.equal(r.lines.at(-1), `-----> v1 is live at http://${app}.localhost:${ctx.p.routerPort}/`, shown(r));
  await assertRunsWhereExpected(ctx, app, dockerfileApp);
}

/** A push refused with a ` !     ` line matching re, and nothing deployed (the router has no release to send to). */
async function assertRefused(ctx: CompatContext, app: string, r: PushResult, re: RegExp): Promise<void> {
  assert.notEqual(r.code, 0, shown(r));
  assert.ok(failureLines(r).some((l) => re.test(l)), `no " !     " line matching ${re}:\n${shown(r)}`);
  assert.notEqual((await get(ctx, app)).status, 200, 'a refused first push deployed something');
}

/** Deploys the sample as is: new app, repo, push. */
async function deploySample(ctx: CompatContext, sample: string): Promise<{ app: string; repo: string; r: PushResult }> {
  const app = await newApp(ctx, sample);
  const repo = await sampleRepo(ctx, sample);
  return { app, repo, r: await push(ctx, app, repo) };
}

const nodeProcfile: CompatCase = {
  app: 'node-procfile',
  expects: 'only web runs of web, worker and one-off types; run passes the exit code back',
  async check(ctx) {
    const { app, r } = await deploySample(ctx, 'node-procfile');
    await assertLive(ctx, app, r);
    assert.deepEqual(await get(ctx, app), { status: 200, body: 'Hello from node-procfile, v1\n' });
    const rows = await psWhenUp(ctx, app, ['web.1']);
    assert.deepEqual(rows.map((row) => row.process), ['web.1'], 'worker, custom and task must not run by default');
    const task = await cli(ctx, ['run', app, 'node', 'task.js', '3']);
    assert.equal(task.code, 3, `run's exit code: ${task.stdout}${task.stderr}`);
    assert.match(task.stdout, /node-procfile task ran with exit code 3/);
    await logLine(ctx, app, /app\[web\.1\]: node-procfile web listening on \d+/);
  },
};

const releasePhase: CompatCase = {
  app: 'release-phase',
  expects: 'the release command writing to /app succeeds and its output is in the push',
  async check(ctx, note) {
    const { app, r } = await deploySample(ctx, 'release-phase');
    await assertLive(ctx, app, r);
    assert.ok(r.lines.some((l) => l.includes('release phase wrote /app/release.test')), shown(r));
    const page = await get(ctx, app);
    assert.equal(page.status, 200);
    // Heroku runs the release phase in its own dyno, so nobody may rely on the file reaching the web: reported only.
    note(`release-phase: /app/release.test is ${/is (present|absent)/.exec(page.body)?.[1] ?? page.body.trim()} in the web`);
  },
};

const appJson: CompatCase = {
  app: 'app-json',
  expects: 'required env refuses the push, then formation, scripts, healthchecks and env defaults apply',
  async check(ctx) {
    const app = await newApp(ctx, 'app-json');
    const repo = await sampleRepo(ctx, 'app-json');
    const refused = await push(ctx, app, repo);
    await assertRefused(ctx, app, refused, /SECRET_TOKEN/);
    assert.ok(refused.lines.some((l) => l.includes('verifying the integrity of signed cookies')), `the description of SECRET_TOKEN:\n${shown(refused)}`);
    const set = await cli(ctx, ['config:set', app, 'SECRET_TOKEN=s3cr3t']);
    assert.equal(set.code, 0, set.stdout + set.stderr);
    const r = await push(ctx, app, repo);
    await assertLive(ctx, app, r);
    assert.ok(r.lines.some((l) => l.includes('predeploy: preparing')), `predeploy output:\n${shown(r)}`);
    assert.ok(r.lines.some((l) => l.includes('postdeploy: deployed')), `postdeploy output:\n${shown(r)}`);
    assert.deepEqual(await get(ctx, app), { status: 200, body: 'Hello from app.json; SECRET_TOKEN is set\n' });
    const rows = await psWhenUp(ctx, app, ['web.1', 'worker.1']);
    assert.deepEqual(rows.map((row) => row.process).sort(), ['web.1', 'worker.1']);
    await logLine(ctx, app, /app\[worker\.1\]: app-json worker started/);
  },
};

const workerOnly: CompatCase = {
  app: 'worker-only',
  expects: 'its worker runs after the first push; no "is live at"',
  async check(ctx) {
    const { app, r } = await deploySample(ctx, 'worker-only');
    assert.equal(r.code, 0, shown(r));
    assert.ok(!r.lines.some((l) => l.includes('is live at')), `a worker-only app has no URL:\n${shown(r)}`);
    assert.match(r.lines.at(-1) ?? '', /^-----> v1 .*worker/, `the last line should say which processes run:\n${shown(r)}`);
    await assertRunsWhereExpected(ctx, app);
    const rows = await psWhenUp(ctx, app, ['worker.1']);
    assert.deepEqual(rows.map((row) => row.process), ['worker.1']);
    await logLine(ctx, app, /app\[worker\.1\]: worker-only: waiting for jobs/);
  },
};

const pythonMulti: CompatCase = {
  app: 'python-multi',
  expects: 'web only by default; ps:scale worker=1 starts the worker',
  async check(ctx) {
    const { app, r } = await deploySample(ctx, 'python-multi');
    await assertLive(ctx, app, r);
    assert.deepEqual(await get(ctx, app), { status: 200, body: 'Hello from python-multi, v1\n' });
    assert.deepEqual((await psWhenUp(ctx, app, ['web.1'])).map((row) => row.process), ['web.1']);
    const scaled = await cli(ctx, ['ps:scale', app, 'worker=1']);
    assert.equal(scaled.code, 0, scaled.stdout + scaled.stderr);
    const rows = await psWhenUp(ctx, app, ['web.1', 'worker.1']);
    assert.ok(!rows.some((row) => row.type === 'clock'), 'clock stays at 0');
    await logLine(ctx, app, /app\[worker\.1\]: python-multi worker started/);
  },
};

const staticSite: CompatCase = {
  app: 'static',
  expects: 'index.html and the files beside it are served',
  async check(ctx) {
    const { app, r } = await deploySample(ctx, 'static');
    await assertLive(ctx, app, r);
    const page = await get(ctx, app);
    assert.equal(page.status, 200);
    assert.match(page.body, /<h1>Hello from a static site<\/h1>/);
    assert.deepEqual(await get(ctx, app, '/style.css'), { status: 200, body: 'h1 { color: #333; }\n' });
  },
};

const MOTD = "Line one of the message\nline two: has = signs, 'quotes' and $dollars\n";

const configEncoded: CompatCase = {
  app: 'config-encoded',
  expects: 'a multi-line value set with config:set --encoded reaches the app intact',
  async check(ctx) {
    const app = await newApp(ctx, 'config-encoded');
    const set = await cli(ctx, ['config:set', '--encoded', app, `MOTD=${Buffer.from(MOTD).toString('base64')}`]);
    assert.equal(set.code, 0, set.stdout + set.stderr);
    const got = await cli(ctx, ['config:get', app, 'MOTD']);
    assert.equal(got.stdout.trimEnd(), MOTD.trimEnd(), 'config:get shows the decoded value');
    const r = await push(ctx, app, await sampleRepo(ctx, 'config-encoded'));
    await assertLive(ctx, app, r);
    assert.deepEqual(await get(ctx, app), { status: 200, body: MOTD });
  },
};

const dockerfile: CompatCase = {
  app: 'dockerfile',
  expects: 'built and run from its Dockerfile (EXPOSE, CMD) where an Engine answers; else a refusal naming Docker mode',
  async check(ctx) {
    assert.equal(ctx.baseImagesProblem, undefined, 'the base images the Dockerfile starts FROM');
    const { app, r } = await deploySample(ctx, 'dockerfile');
    if (!ctx.engine) {
      await assertRefused(ctx, app, r, /PAAS_RUNTIME=docker/);
      return;
    }
    await assertLive(ctx, app, r, true);
    assert.deepEqual(await get(ctx, app), { status: 200, body: 'Hello from a Dockerfile app\n' });
    await logLine(ctx, app, /app\[web\.1\]: dockerfile app listening on \d+/);
  },
};

const goGopath: CompatCase = {
  app: 'go-gopath',
  expects: 'the build fails with a message that names go.mod',
  async check(ctx) {
    const { app, r } = await deploySample(ctx, 'go-gopath');
    await assertRefused(ctx, app, r, /go\.mod/);
    assert.deepEqual(await ps(ctx, app), [], 'nothing runs');
  },
};

/** Every sample, in the order the runs push them. */
export const compatCases: readonly CompatCase[] = [
  nodeProcfile, releasePhase, appJson, workerOnly, pythonMulti, staticSite, configEncoded, dockerfile, goGopath,
];
