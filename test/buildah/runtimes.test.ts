// Real builds: each runtime's injected Dockerfile (as the builder pod writes it) built by buildah against its
// fixture app, with the FROM images replaced by local stand-ins; then the image's own CMD is started and asked for /.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareBuild } from '../../builders/entrypoint.ts';
import { Buildah, buildahMissing, type ImageConfig } from './buildah.ts';
import { makeTestImages, testImages } from './images.ts';
import { findFreePort } from '../../core/net.ts';

const fixtures = fileURLToPath(new URL('../fixtures/apps/', import.meta.url));
const missing = buildahMissing();
const buildah = missing ? undefined : new Buildah();

const webCmd = ['sh', '-c', 'exec sh -c "$WEB_COMMAND"'];

interface Case {
  app: string;
  buildArgs?: Record<string, string>;
  /** Replaces the FROM of an app's own Dockerfile (buildah bud --from). */
  from?: string;
  cmd: string[];
  user: string;
  /** What GET / answers, or why the image is not started. */
  answer: RegExp | { skip: string };
}

const cases: Case[] = [
  { app: 'node', buildArgs: { BASE_IMAGE: testImages.node }, cmd: ['npm', 'start'], user: '1000:1000', answer: /Hello from node/ },
  { app: 'static', buildArgs: { BASE_IMAGE: testImages.node }, cmd: ['node', '.paas/static-server.cjs'], user: '1000:1000', answer: /<html/i },
  { app: 'python', buildArgs: { BASE_IMAGE: testImages.python }, cmd: webCmd, user: '10001:10001', answer: /Hello from python/ },
  { app: 'go', buildArgs: { BASE_IMAGE: testImages.go, RUNTIME_IMAGE: testImages.base }, cmd: ['/app/bin/app'], user: '10001:10001', answer: /Hello from go/ },
  {
    app: 'procfile', buildArgs: { BASE_IMAGE: testImages.base }, cmd: webCmd, user: '10001:10001',
    answer: { skip: 'its web is `node server.js`, and the Procfile template runs on debian:bookworm-slim, which has no node' },
  },
  { app: 'dockerfile', from: testImages.node, cmd: ['node', 'server.js'], user: '1000:1000', answer: /Hello from dockerfile/ },
];

/**
 * Starts argv (the image's CMD) in its own process group, asks GET / on $PORT until it answers (bounded), then
 * ends the group. bash's /dev/tcp is the client, since the go and debian images have no curl, node or python.
 */
const probeScript = `set -m
"$@" &
pid=$!
for _ in $(seq 1 150); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT" && printf 'GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && cat <&3) 2>/dev/null; then
    kill -TERM -- "-$pid"; wait "$pid"; exit 0
  fi
  sleep 0.1
done
kill -KILL -- "-$pid"; echo "nothing answered on port $PORT" >&2; exit 1`;


function assertConfig(config: ImageConfig, c: Case): void {
  assert.deepEqual(config.Cmd, c.cmd);
  assert.equal(config.User, c.user);
  assert.equal(config.WorkingDir, '/app');
  assert.ok(config.ExposedPorts && '5000/tcp' in config.ExposedPorts, JSON.stringify(config.ExposedPorts));
  assert.ok(config.Env?.includes('PORT=5000'), JSON.stringify(config.Env));
}

before(async () => {
  if (buildah) await makeTestImages(buildah, ['base', 'node', 'python', 'go']);
}, { timeout: 30 * 60_000 });

after(async () => {
  await buildah?.destroy();
});

for (const c of cases) {
  const title = `${c.app}: its Dockerfile builds with buildah${'skip' in c.answer ? '' : ', and the image serves GET /'}`;
  test(title, { skip: missing ?? false, timeout: 10 * 60_000 }, async (t) => {
    const context = fs.mkdtempSync(path.join(os.tmpdir(), `paas-ctx-${c.app}-`));
    t.after(() => fs.rmSync(context, { recursive: true, force: true }));
    fs.cpSync(path.join(fixtures, c.app), context, { recursive: true });
    const printed: string[] = [];
    prepareBuild(context, (line) => printed.push(line)); // exactly what the builder pod does before Kaniko
    t.diagnostic(printed.join(' | '));

    const tag = `localhost/paas-test-app-${c.app}`;
    const seconds = await buildah!.bud(context, tag, { buildArgs: c.buildArgs, from: c.from });
    t.diagnostic(`buildah bud ${c.app}: ${seconds}s`);
    const config = await buildah!.inspect(tag);
    assertConfig(config, c);

    if ('skip' in c.answer) return t.diagnostic(`not started: ${c.answer.skip}`);
    const port = await findFreePort();
    const output = await buildah!.runIn(tag, ['bash', '-c', probeScript, 'probe', ...(config.Cmd ?? [])], { env: { PORT: String(port) } });
    assert.match(output, /^HTTP\/1\.[01] 200 /m, output);
    assert.match(output, c.answer, output);
  });
}
