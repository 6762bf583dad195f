// test/e2e/procfile.test.ts — the production layout: web, gitd and controller started separately (as the Procfile
// does) on the machine's PostgreSQL and NATS; pushes over SSH and HTTP deploy behind the controller's router, each
// process answers its probes, and each exits 0 promptly on SIGTERM.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import {
  createUser, fixtureRepo, getApp, git, httpRemote, remoteLines, sshRemote, tempDir, type TestUser,
} from '../support/platform.ts';
import { createApp, pushOutput, remoteRefs, revOf, stopPlatform } from '../support/push.ts';
import { startProcfile, type ProcfilePlatform, type ProcName } from '../support/procfile.ts';
import { sshCli, sshRaw } from '../support/access.ts';
import { waitFor } from '../support/wait.ts';
import { withoutIds } from '../support/first-line.ts';

const skip = !process.env.DATABASE_URL || !process.env.NATS_URL ? 'needs DATABASE_URL and NATS_URL (.ci/run sets them)' : false;

const METRICS_TOKEN = 'procfile-metrics-token';
let p: ProcfilePlatform;
let dir: string;
let alice: TestUser;

before(async () => {
  if (skip) return;
  dir = tempDir();
  p = await startProcfile({ env: { PAAS_METRICS_TOKEN: METRICS_TOKEN } });
  alice = await createUser(p, 'alice@example.com', dir);
});

after(() => stopPlatform(p, dir));

function probe(port: number, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', () => resolve({ status: 0, body: '' }));
  });
}

test('a push over SSH goes through gitd, is built and deployed by the controller, and answers at its URL', { skip }, async () => {
  await createApp(p, 'pf-ssh', alice.email);
  const repo = await fixtureRepo('node', dir);
  const rev = await revOf(repo, 'HEAD');
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'pf-ssh'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const lines = remoteLines(push.stderr);
  assert.equal(withoutIds(lines[0]!), `-----> Building pf-ssh (build 1) from main at ${rev.slice(0, 7)}`);
  assert.equal(lines.at(-1), `-----> v1 is live at http://pf-ssh.localhost:${p.routerPort}/`);
  assert.deepEqual(await getApp(p, 'pf-ssh'), { status: 200, body: 'Hello from node, release v1\n' });
  assert.equal((await remoteRefs(repo, alice.sshEnv, sshRemote(p, 'pf-ssh')))['refs/heads/main'], rev);
});

test('in this layout run executes in gitd and passes its exit code back; ps:restart reaches the controller over NATS', { skip }, async () => {
  const r = await sshRaw(p, alice.keyPath, "run pf-ssh -- sh -c 'echo $APP_NAME $DYNO; exit 5'");
  assert.equal(r.code, 5, r.stderr);
  assert.equal(r.stdout, 'pf-ssh run.1\n');
  const port = async () => /web\.1\s+up\s+v\d+\s+port (\d+)/.exec((await sshCli(p, alice, ['ps', 'pf-ssh'])).stdout)?.[1];
  const before = await waitFor(port, 15_000, 'web.1 up in ps');
  const restart = await sshCli(p, alice, ['ps:restart', 'pf-ssh']);
  assert.equal(restart.stdout, 'Restarting pf-ssh... done\n', restart.stderr);
  await waitFor(async () => { const now = await port(); return now !== undefined && now !== before; }, 30_000, 'a new web.1 in ps');
  assert.deepEqual(await getApp(p, 'pf-ssh'), { status: 200, body: 'Hello from node, release v1\n' });
});

test('a push over HTTP goes through the web process and deploys', { skip }, async () => {
  await createApp(p, 'pf-http', alice.email);
  const repo = await fixtureRepo('procfile', dir);
  const rev = await revOf(repo, 'HEAD');
  const push = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'pf-http', alice.token), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  assert.equal(remoteLines(push.stderr).at(-1), `-----> v1 is live at http://pf-http.localhost:${p.routerPort}/`);
  assert.deepEqual(await getApp(p, 'pf-http'), { status: 200, body: 'Hello from procfile\n' });
  assert.equal((await remoteRefs(repo, alice.sshEnv, httpRemote(p, 'pf-http', alice.token)))['refs/heads/main'], rev);
});

test('through a quiet build (10 s without output) the push is kept alive: git gets keepalive packets, over SSH and HTTP', { skip }, async () => {
  for (const transport of ['ssh', 'http'] as const) {
    const app = `quiet-${transport}`;
    await createApp(p, app, alice.email);
    const repo = await fixtureRepo('node-quiet-build', dir);
    const remote = transport === 'ssh' ? sshRemote(p, app) : httpRemote(p, app, alice.token);
    const push = await git(repo, { ...alice.sshEnv, GIT_TRACE_PACKET: '1' }, 'push', remote, 'main');
    assert.equal(push.code, 0, pushOutput(push));
    // The trace's sideband packets: band 2 is progress (our output); a band-1 packet with nothing in it is a keepalive.
    const packets = push.stderr.split('\n').filter((l) => /packet:\s+sideband< /.test(l)).map((l) => l.replace(/^.*sideband< /, ''));
    const quietFrom = packets.findIndex((l) => l.includes('> node build.js'));
    const quietTo = packets.findIndex((l) => l.includes('done after a quiet spell'));
    assert.ok(quietFrom >= 0 && quietTo > quietFrom, packets.join('\n'));
    const keepalives = packets.slice(quietFrom + 1, quietTo).filter((l) => l === '\\1').length;
    assert.ok(keepalives >= 1, `${transport}: no keepalive during the quiet build:\n${packets.join('\n')}`);
  }
});

test('builds:output replays a build the controller ran, from the database', { skip }, async () => {
  const out = await p.cli(['builds:output', 'pf-ssh']);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /^-----> Building pf-ssh \(build 1\)/);
  assert.match(out.stdout, /-----> v1 is live at /);
});

test('each process answers /healthz and /readyz (web on its HTTP port, gitd and controller on their probe ports)', { skip }, async () => {
  for (const name of ['web', 'gitd', 'controller'] as ProcName[]) {
    const port = p.procs[name].probePort;
    assert.deepEqual(await probe(port, '/healthz'), { status: 200, body: '{"ok":true}' }, `${name} /healthz`);
    const ready = await probe(port, '/readyz');
    assert.equal(ready.status, 200, `${name} /readyz`);
    const body = JSON.parse(ready.body) as { ok: boolean; isolation: { mode: string; reason: string } };
    assert.deepEqual([body.ok, body.isolation.mode, typeof body.isolation.reason], [true, 'sandbox', 'string'], `${name} /readyz: ${ready.body}`);
  }
});

/** The value of one series in a /metrics text (NaN when absent). */
const sample = (text: string, series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1));

/** Each process's /metrics text, read with the metrics token (the health ports take only that token). */
async function scrapeAll() {
  const auth = { authorization: `Bearer ${METRICS_TOKEN}` };
  const [gitd, controller, web] = await Promise.all([
    probe(p.procs.gitd.probePort, '/metrics', auth), probe(p.procs.controller.probePort, '/metrics', auth), probe(p.httpPort, '/metrics', auth),
  ]);
  for (const [name, r] of [['gitd', gitd], ['controller', controller], ['web', web]] as const) assert.equal(r.status, 200, `${name}: ${r.body}`);
  return { gitd: gitd.body, controller: controller.body, web: web.body };
}

const count = (text: string, series: string) => sample(text, series) || 0;

test('each process serves its own /metrics with the metrics token (web, and gitd and the controller on their probe ports); its own pushes counted', { skip }, async () => {
  for (const [name, port] of [['gitd', p.procs.gitd.probePort], ['controller', p.procs.controller.probePort], ['web', p.httpPort]] as const) {
    const bare = await probe(port, '/metrics');
    assert.equal(bare.status, 401, `${name} wants the token: ${bare.body}`);
    assert.doesNotMatch(bare.body, /paas_/);
  }
  // Self-contained: this test pushes what it counts (one app over SSH, one over HTTP), and compares with before.
  const before = await scrapeAll();
  const repo = await fixtureRepo('node', dir);
  await createApp(p, 'pf-m-ssh', alice.email);
  await createApp(p, 'pf-m-http', alice.email);
  const overSsh = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'pf-m-ssh'), 'main');
  assert.equal(overSsh.code, 0, pushOutput(overSsh));
  const overHttp = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'pf-m-http', alice.token), 'main');
  assert.equal(overHttp.code, 0, pushOutput(overHttp));
  assert.equal((await getApp(p, 'pf-m-ssh')).status, 200);
  const { gitd, controller, web } = await scrapeAll();
  const ok = 'paas_pushes_total{outcome="succeeded"}';
  // SSH pushes are decided in gitd, HTTP pushes in web; builds, deploys and the router are the controller's.
  assert.equal(count(gitd, ok), count(before.gitd, ok) + 1, gitd);
  assert.equal(count(web, ok), count(before.web, ok) + 1, web);
  for (const family of ['paas_build_duration_seconds_count', 'paas_deploy_duration_seconds_count']) {
    const series = `${family}{stack="node",outcome="succeeded"}`;
    assert.equal(count(controller, series), count(before.controller, series) + 2, series);
  }
  assert.ok(sample(controller, 'paas_app_requests_total{app="pf-m-ssh",class="2xx"}') >= 1);
  assert.ok(sample(controller, 'paas_jetstream_consumer_pending{durable="controller-builds"}') >= 0, 'the controller\'s consumer lag on NATS');
  assert.ok(sample(gitd, 'paas_ssh_connections_open') >= 0);
  assert.ok(sample(web, 'paas_http_connections_open') >= 1, 'this very connection');
  for (const [name, body] of [['gitd', gitd], ['web', web]] as const) {
    assert.doesNotMatch(body, /^paas_app_requests_total\{/m, `${name} runs no router`);
    assert.ok(sample(body, 'paas_db_pool_free_connections') >= 0, `${name}: its own database pool`);
  }
});

test('SIGTERM makes each process exit 0 promptly, gitd too while an SSH session (logs -t) stays open', { skip }, async () => {
  const follower = spawn('ssh', ['-i', alice.keyPath, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no',
    '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-p', String(p.sshPort), 'git@127.0.0.1', 'logs', 'pf-ssh', '-t'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let followed = '';
  follower.stdout.on('data', (c) => { followed += c; });
  const followerGone = new Promise((r) => follower.on('close', r));
  await waitFor(() => followed.includes('node app listening'), 15_000, 'logs -t to print the app log');
  for (const name of ['web', 'gitd', 'controller'] as ProcName[]) {
    const started = Date.now();
    const code = await p.procs[name].signal('SIGTERM');
    const took = Date.now() - started;
    assert.equal(code, 0, `${name} exited with ${code}:\n${p.procs[name].output()}`);
    assert.ok(took < 5000, `${name} took ${took} ms to stop with no work in flight`);
  }
  await followerGone; // gitd ended the session when it stopped
});
