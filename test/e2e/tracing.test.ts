// test/e2e/tracing.test.ts — one push in the production layout (web, gitd, controller as three processes on NATS and
// PostgreSQL) is one trace: a loopback OTLP/HTTP receiver collects the spans the three processes export, and the
// chain receive → pre-receive → build → release → deploy holds across them, with the push's attributes; the push's
// first line names that trace. An API request is traced by route pattern, and a client's traceparent is not trusted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createUser, fixtureRepo, git, httpRemote, remoteLines, sshRemote, tempDir, type TestUser } from '../support/platform.ts';
import { commitAll, createApp, pushOutput, revOf, stopPlatform } from '../support/push.ts';
import { startProcfile, type ProcfilePlatform } from '../support/procfile.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.ts';
import { waitFor } from '../support/wait.ts';

const skip = !process.env.DATABASE_URL || !process.env.NATS_URL ? 'needs DATABASE_URL and NATS_URL (.ci/run sets them)' : false;

let p: ProcfilePlatform;
let receiver: OtlpReceiver;
let dir: string;
let alice: TestUser;

before(async () => {
  if (skip) return;
  dir = tempDir();
  receiver = await startOtlpReceiver();
  // A short batch delay, so spans arrive within a moment of ending (the SDK honours OTEL_BSP_SCHEDULE_DELAY).
  p = await startProcfile({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '100', PAAS_LOG_LEVEL: 'info' } });
  alice = await createUser(p, 'alice@example.com', dir);
});

after(async () => {
  await stopPlatform(p, dir);
  await receiver?.close();
});

/** The one span of the trace with this name (fails when there are several, or none yet). */
function only(spans: ReceivedSpan[], name: string): ReceivedSpan | undefined {
  const found = spans.filter((s) => s.name === name);
  assert.ok(found.length <= 1, `one ${name} span, not ${found.length}`);
  return found[0];
}

test('a push over SSH in the three-process layout is one trace: receive → pre-receive → build → release → deploy', { skip }, async () => {
  await createApp(p, 'traced', alice.email);
  const repo = await fixtureRepo('node', dir);
  const rev = await revOf(repo, 'HEAD');
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'traced'), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const first = remoteLines(push.stderr)[0]!;
  const m = /^-----> Building traced \(build 1\) from main at (\w{7}) \(build id ([0-9a-f-]{36}), trace ([0-9a-f]{32})\)$/.exec(first);
  assert.ok(m, first);
  assert.equal(m[1], rev.slice(0, 7));
  const [, , buildId, traceId] = m;

  // The receive span ends last (after git exits); once it and the deploy's are in, the trace is whole.
  const spans = await waitFor(() => {
    const mine = receiver.spans.filter((s) => s.traceId === traceId);
    return mine.some((s) => s.name === 'push receive') && mine.some((s) => s.name === 'deploy') && mine.some((s) => s.name === 'route switch') ? mine : undefined;
  }, 20_000, `the spans of trace ${traceId} (received so far: ${receiver.spans.map((s) => s.name).join(', ')})`);
  const receive = only(spans, 'push receive')!, preReceive = only(spans, 'pre-receive')!, build = only(spans, 'build')!;
  const release = only(spans, 'release')!, deploy = only(spans, 'deploy')!;
  for (const [child, parent] of [[preReceive, receive], [build, preReceive], [release, build], [deploy, release]] as const) {
    assert.equal(child.parentSpanId, parent.spanId, `${child.name} is a child of ${parent.name}`);
  }
  assert.equal(receive.parentSpanId, undefined, 'the push is the root');
  assert.deepEqual([receive.service, preReceive.service, build.service, deploy.service], ['paas-gitd', 'paas-gitd', 'paas-controller', 'paas-controller']);
  assert.deepEqual(new Set(spans.map((s) => s.service)), new Set(['paas-gitd', 'paas-controller']), 'gitd and the controller, one trace');

  assert.equal(receive.attributes['paas.app'], 'traced');
  assert.equal(receive.attributes['paas.outcome'], 'succeeded');
  assert.equal(preReceive.attributes['paas.outcome'], 'succeeded');
  assert.equal(preReceive.attributes['paas.build.id'], buildId);
  assert.equal(build.attributes['paas.build.number'], 1);
  assert.equal(build.attributes['paas.build.id'], buildId);
  assert.equal(build.attributes['paas.outcome'], 'succeeded');
  assert.equal(release.attributes['paas.release.version'], 1);
  assert.equal(deploy.attributes['paas.outcome'], 'succeeded');
  assert.equal(deploy.attributes['paas.app'], 'traced');

  // Inside the deploy: the rollout, web.1's start and health check, and the route switch.
  const rollout = only(spans, 'rollout')!, start = only(spans, 'instance start')!, health = only(spans, 'health check')!, route = only(spans, 'route switch')!;
  assert.equal(rollout.parentSpanId, deploy.spanId);
  assert.deepEqual([start.attributes['paas.app'], start.attributes['paas.process.type'], start.attributes['paas.process.index']], ['traced', 'web', 1]);
  assert.equal(health.parentSpanId, start.spanId);
  assert.equal(route.parentSpanId, rollout.spanId);
  // From a log line to the trace: the controller's lines of this build and its deploy carry the push's trace_id.
  const logged = (msg: string) => p.output().split('\n').some((l) => l.includes(`"msg":"${msg}"`) && l.includes(`"trace_id":"${traceId}"`));
  await waitFor(() => logged('build finished') && logged('deploy finished'), 10_000, `"build finished" and "deploy finished" log lines with trace_id ${traceId}`);
  // The build's steps, each from a `-----> ` line of the driver.
  const compile = only(spans, 'compile')!;
  assert.ok(spans.some((s) => s.name === 'build step' && s.parentSpanId === compile.spanId && /detected/i.test(String(s.attributes['paas.step']))),
    spans.filter((s) => s.name === 'build step').map((s) => s.attributes['paas.step']).join(', '));
});

test('a failing postdeploy leaves the deploy span succeeded (the release is live) with paas.postdeploy.failed; the SSH receive span says the hook\'s verdict', { skip }, async () => {
  await createApp(p, 'postfail', alice.email);
  const repo = await fixtureRepo('node', dir);
  fs.writeFileSync(path.join(repo, 'app.json'), JSON.stringify({ scripts: { dokku: { postdeploy: 'echo tidying; exit 2' } } }));
  await commitAll(repo, 'a postdeploy that fails');
  const push = await git(repo, alice.sshEnv, 'push', sshRemote(p, 'postfail'), 'main');
  assert.notEqual(push.code, 0, pushOutput(push));
  const traceId = /trace ([0-9a-f]{32})\)$/.exec(remoteLines(push.stderr)[0]!)?.[1];
  assert.ok(traceId, pushOutput(push));
  const spans = await waitFor(() => {
    const mine = receiver.spans.filter((s) => s.traceId === traceId);
    return ['push receive', 'deploy', 'postdeploy script'].every((n) => mine.some((s) => s.name === n)) ? mine : undefined;
  }, 20_000, `the spans of trace ${traceId}`);
  const deploy = only(spans, 'deploy')!, script = only(spans, 'postdeploy script')!, receive = only(spans, 'push receive')!;
  assert.equal(deploy.attributes['paas.outcome'], 'succeeded');
  assert.equal(deploy.attributes['paas.postdeploy.failed'], true);
  assert.notEqual(deploy.status, 2, 'no error status on a deploy whose release is live');
  assert.equal(script.status, 2, 'the script\'s own span has the error status');
  // receive-pack exits 0 after a hook that said no: the receive span has the hook's verdict, not git's exit code.
  assert.equal(only(spans, 'pre-receive')!.attributes['paas.outcome'], 'failed');
  assert.equal(receive.attributes['paas.outcome'], 'failed');
  assert.equal(receive.status, 2);
});

test('a push over HTTP is one trace from the web process\'s request to the controller\'s deploy', { skip }, async () => {
  await createApp(p, 'traced-http', alice.email);
  const repo = await fixtureRepo('node', dir);
  const push = await git(repo, alice.sshEnv, 'push', httpRemote(p, 'traced-http', alice.token), 'main');
  assert.equal(push.code, 0, pushOutput(push));
  const traceId = /, trace ([0-9a-f]{32})\)$/.exec(remoteLines(push.stderr)[0]!)?.[1];
  assert.ok(traceId, remoteLines(push.stderr)[0]);
  const spans = await waitFor(() => {
    const mine = receiver.spans.filter((s) => s.traceId === traceId);
    return ['POST /:repo/git-receive-pack', 'push receive', 'deploy'].every((n) => mine.some((s) => s.name === n)) ? mine : undefined;
  }, 20_000, `the spans of trace ${traceId}`);
  const request = only(spans, 'POST /:repo/git-receive-pack')!, receive = only(spans, 'push receive')!, preReceive = only(spans, 'pre-receive')!;
  assert.equal(request.parentSpanId, undefined);
  assert.equal(receive.parentSpanId, request.spanId);
  assert.equal(preReceive.parentSpanId, receive.spanId);
  assert.equal(only(spans, 'build')!.parentSpanId, preReceive.spanId);
  assert.equal(receive.attributes['paas.transport'], 'http');
  assert.equal(receive.attributes['paas.outcome'], 'succeeded', 'the hook\'s verdict, on HTTP too');
  assert.deepEqual(new Set(spans.map((s) => s.service)), new Set(['paas-web', 'paas-controller']));
});

/** GET on the web port with headers; resolves with the status. */
function get(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: p.httpPort, path, headers }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); }).on('error', reject);
  });
}

test('an API request is a span named by its route pattern; a client\'s traceparent starts no part of our trace, it is only a link', { skip }, async () => {
  await createApp(p, 'linked', alice.email);
  const theirs = { traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) };
  const status = await get('/api/apps/linked', { authorization: `Bearer ${alice.token}`, traceparent: `00-${theirs.traceId}-${theirs.spanId}-01` });
  assert.equal(status, 200);
  const span = await waitFor(() => receiver.spans.find((s) => s.service === 'paas-web' && s.name === 'GET /api/apps/:app'), 10_000, 'the API request\'s span');
  assert.notEqual(span.traceId, theirs.traceId, 'a new trace, not the client\'s');
  assert.equal(span.parentSpanId, undefined);
  assert.deepEqual(span.links, [theirs]);
  assert.equal(span.attributes['http.response.status_code'], 200);
  assert.ok(!receiver.spans.some((s) => s.name.includes('/api/apps/linked')), 'no span is named by the raw URL');
});
