// runtime/docker/build.test.ts — Docker builds on the real Engine: the injected Dockerfiles (node, python, static), an
// app's own Dockerfile, failures with the Engine's reason (and no leftovers), limits, live output, image pruning, and
// hostile pushes.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type Docker from 'dockerode';
import { staticWebCommand } from '../../builders/app-facts.ts';
import { ensureBusyboxImage, ensureDockerBaseImages, gitArchive, hasImage, outputIn, removeImages, requireDocker } from '../../test/support/docker.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { BuildOutput } from '../driver.ts';
import { DockerBuildDriver } from './build.ts';
import { pruneAppImages, removeAppImages } from './images.ts';
import { imageTag, platformId } from './names.ts';
import { ensurePlatformNetwork, removePlatformNetwork } from './network.ts';

const limits = { memoryMb: 512, pids: 128, nofile: 1024, cpus: 0.5 };
const fixtures = new URL('../../test/fixtures/apps/', import.meta.url).pathname;
const fixture = (app: string, file: string) => fs.readFileSync(path.join(fixtures, app, file), 'utf8');
const lockfile = JSON.stringify({ name: 'fixture-node', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'fixture-node', version: '1.0.0' } } });

interface Built { out: BuildOutput; lines: string[]; docker: Docker; dataDir: string }

/** A temp dir (the platform's data dir, so a platform id of its own) removed after the test. */
function tempDir(t: TestContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'docker-build-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Builds files as app `name` build 1 on the Engine; the image is removed after the test. */
async function build(t: TestContext, files: Record<string, string | { symlink: string }>, opts: { onLine?: (l: string) => void; timeoutMs?: number; dataDir?: string } = {}): Promise<Built> {
  const docker = await requireDocker(t);
  await ensureDockerBaseImages(docker, ['node:20-alpine', 'python:3.12-slim', 'debian:bookworm-slim']);
  const dataDir = opts.dataDir ?? tempDir(t);
  t.after(async () => {
    await removeAppImages(docker, platformId(dataDir), 'app1');
    await removePlatformNetwork(docker, platformId(dataDir));
  });
  const archivePath = await gitArchive(dataDir, files);
  const lines: string[] = [];
  const driver = new DockerBuildDriver(docker, { dataDir, buildTimeoutMs: opts.timeoutMs ?? 600_000, appLimits: limits });
  const log = (l: string) => { lines.push(l); opts.onLine?.(l); };
  const out = await driver.build({ app: 'app1', buildId: 'b1', number: 1, archivePath, slugDir: path.join(dataDir, 'slug'), env: {}, log })
    .catch((err: Error) => { Object.assign(err, { lines, docker }); throw err; });
  return { out, lines, docker, dataDir };
}

test('a Node.js app builds from the injected Dockerfile with npm ci, runs as node, and starts with npm start', { timeout: 600_000 }, async (t) => {
  const { out, lines, docker, dataDir } = await build(t, { 'package.json': fixture('node', 'package.json'), 'package-lock.json': lockfile, 'server.js': fixture('node', 'server.js') });
  const text = lines.join('\n');
  assert.equal(out.image, imageTag(platformId(dataDir), 'app1', 1));
  assert.deepEqual({ ...out, image: null }, { stack: 'node', processTypes: { web: 'npm start' }, pathPrepend: [], slugDir: null, image: null });
  assert.match(text, /^-----> Node\.js app detected$/m);
  assert.match(text, /^-----> Building the image with Docker Engine$/m);
  assert.match(text, /^ {7}Step \d+\/\d+ : RUN npm ci --no-audit --no-fund$/m);
  const config = (await docker.getImage(out.image!).inspect()).Config;
  assert.equal(config.User, '1000:1000');
  assert.deepEqual(config.Cmd, ['npm', 'start']);
  assert.equal(config.Labels?.['paas.app'], 'app1');
});

test('a Python app without requirements builds from the injected Dockerfile', { timeout: 600_000 }, async (t) => {
  const { out, lines } = await build(t, { Procfile: fixture('python', 'Procfile'), 'app.py': fixture('python', 'app.py'), 'requirements.txt': fixture('python', 'requirements.txt') });
  assert.equal(out.stack, 'python');
  assert.deepEqual(out.processTypes, { web: 'python app.py' });
  assert.match(lines.join('\n'), /^-----> Python app detected$/m);
});

test('a static app gets the platform\'s static server, whatever the push held in .paas', { timeout: 600_000 }, async (t) => {
  const { out, docker } = await build(t, { 'index.html': fixture('static', 'index.html'), '.paas/static-server.cjs': 'console.log("pushed server")\n' });
  assert.equal(out.stack, 'static');
  assert.deepEqual(out.processTypes, { web: staticWebCommand });
  const server = await outputIn(docker, out.image!, ['cat', '/app/.paas/static-server.cjs']);
  assert.doesNotMatch(server, /pushed server/);
  assert.equal(server, fs.readFileSync(new URL('../../builders/static-server.cjs', import.meta.url), 'utf8'));
});

test('an app\'s own Dockerfile with EXPOSE and CMD runs as its image says: web with the image\'s own command', { timeout: 600_000 }, async (t) => {
  const { out, lines, docker } = await build(t, { Dockerfile: fixture('dockerfile', 'Dockerfile'), 'server.js': fixture('dockerfile', 'server.js') });
  assert.equal(out.stack, 'dockerfile');
  assert.deepEqual(out.processTypes, { web: '' });
  assert.match(lines.join('\n'), /^-----> Using the app's own Dockerfile$/m);
  assert.match(lines.join('\n'), /^ {7}No Procfile: web runs the image's own CMD or ENTRYPOINT$/m);
  assert.ok(!lines.some((l) => l.includes('Kubernetes')), lines.join('\n'));
  const config = (await docker.getImage(out.image!).inspect()).Config;
  assert.deepEqual(Object.keys(config.ExposedPorts ?? {}), ['5000/tcp']);
  assert.deepEqual(config.Cmd, ['node', 'server.js']);
});

test('an app\'s own Dockerfile with a Procfile keeps the Procfile\'s types, release included', { timeout: 600_000 }, async (t) => {
  const { out } = await build(t, { Dockerfile: 'FROM debian:bookworm-slim\nCMD ["true"]\n', Procfile: 'web: ./serve\nrelease: ./migrate\n' });
  assert.deepEqual(out.processTypes, { web: './serve', release: './migrate' });
});

test('a failing RUN step fails the build with E_BUILD_FAILED, and the push shows the step and its output', { timeout: 600_000 }, async (t) => {
  const err = await build(t, { Dockerfile: 'FROM debian:bookworm-slim\nRUN echo about-to-fail && exit 3\n' }).then(() => undefined, (e: Error & { lines: string[] }) => e);
  assert.ok(err, 'the build should fail');
  assert.equal((err as { code?: string }).code, 'E_BUILD_FAILED');
  assert.match(err.message, /returned a non-zero code: 3/);
  const text = err.lines.join('\n');
  assert.match(text, /^ {7}Step 2\/\d+ : RUN echo about-to-fail && exit 3$/m);
  assert.match(text, /^ {7}about-to-fail$/m);
});

test('a failed multi-step build leaves no dangling image; its steps ran with the CPU and process limits', { timeout: 600_000 }, async (t) => {
  const nonce = crypto.randomBytes(6).toString('hex'); // a step no cache has: it runs and commits an image
  const err = await build(t, { Dockerfile: `FROM debian:bookworm-slim\nRUN echo ${nonce} > /a && echo quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) && grep 'Max processes' /proc/self/limits\nRUN false\n` })
    .then(() => undefined, (e: Error & { lines: string[]; docker: Docker }) => e);
  assert.equal((err as { code?: string } | undefined)?.code, 'E_BUILD_FAILED');
  const text = err!.lines.join('\n');
  assert.match(text, /^ {7}quota=50000$/m, 'PAAS_APP_CPUS 0.5 of the 100 ms period');
  assert.match(text, /^ {7}Max processes +4096 +4096 +processes *$/m);
  // The image of step 2 (the id after its output), dangling once step 3 failed, is gone.
  const ids = [...text.matchAll(/^ {7} ---> ([0-9a-f]{12})$/gm)].map((m) => m[1]!);
  assert.equal(ids.length, 2, text); // FROM's (the base image) and step 2's
  assert.equal(await hasImage(err!.docker, ids[1]!), false, 'the failed build\'s step image was removed');
  assert.equal(await hasImage(err!.docker, ids[0]!), true, 'the base image stays');
  const dangling = await err!.docker.listImages({ filters: { dangling: ['true'] } });
  assert.ok(!dangling.some((i) => ids.some((id) => i.Id.startsWith(`sha256:${id}`))));
});

test('a step printing a forged ` ---> <id>` line of another image never gets that image removed when the build fails', { timeout: 600_000 }, async (t) => {
  const docker = await requireDocker(t);
  const other = (await docker.getImage(await ensureBusyboxImage(docker)).inspect()).Id.replace(/^sha256:/, '').slice(0, 12);
  const err = await build(t, { Dockerfile: `FROM debian:bookworm-slim\nRUN echo ' ---> ${other}' && false\n` }).then(() => undefined, (e: Error & { lines: string[] }) => e);
  assert.equal((err as { code?: string } | undefined)?.code, 'E_BUILD_FAILED');
  assert.ok(err!.lines.includes(`        ---> ${other}`), err!.lines.join('\n'));
  assert.equal(await hasImage(docker, other), true, 'only dangling images younger than the build are removed');
});

test('a build step cannot reach an app container of its platform directly: builds run on the platform network, without inter-container traffic', { timeout: 600_000 }, async (t) => {
  const docker = await requireDocker(t);
  const dataDir = tempDir(t);
  const network = await ensurePlatformNetwork(docker, platformId(dataDir));
  const app = await docker.createContainer({ Image: await ensureBusyboxImage(docker), Cmd: ['httpd', '-f', '-p', '5000', '-h', '/etc'], HostConfig: { NetworkMode: network } });
  t.after(() => app.remove({ force: true }));
  await app.start();
  const ip = (await app.inspect()).NetworkSettings.Networks[network]?.IPAddress;
  assert.ok(ip);
  const url = `http://${ip}:5000/passwd`;
  await waitFor(() => fetch(url).then((r) => r.ok), 10_000, 'the app container answers the host');
  const get = `require('http').get('${url}', () => console.log('reached')).on('error', (e) => console.log('refused', e.code)).setTimeout(2000, () => { console.log('timed out'); process.exit(0); })`;
  const { out, lines } = await build(t, { Dockerfile: `FROM node:20-alpine\nRUN node -e "${get}"\n` }, { dataDir });
  assert.equal(out.stack, 'dockerfile');
  assert.ok(lines.some((l) => /^ {7}(timed out|refused )/.test(l)), lines.join('\n'));
  assert.ok(!lines.some((l) => l.trim() === 'reached'), lines.join('\n'));
});

test('build output streams into the push live: a RUN step\'s line arrives while the step still runs', { timeout: 600_000 }, async (t) => {
  const docker = await requireDocker(t);
  // The host as the build's containers see it: the gateway of the platform's network, where build steps run.
  const dataDir = tempDir(t);
  const network = await docker.getNetwork(await ensurePlatformNetwork(docker, platformId(dataDir))).inspect() as { IPAM: { Config: Array<{ Gateway?: string }> } };
  const gateway = network.IPAM.Config[0]?.Gateway;
  assert.ok(gateway, 'the platform network has an IPv4 gateway');
  const server = net.createServer();
  t.after(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
  const port = (server.address() as net.AddressInfo).port;
  const connected = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  let firstLine!: () => void;
  const sawFirst = new Promise<void>((resolve) => { firstLine = resolve; });
  // The step prints, then waits until the test answers on its socket: the build cannot end before the line came.
  const wait = `require('net').connect(${port}, '${gateway}').on('data', () => process.exit(0))`;
  let ended = false;
  const building = build(t, { Dockerfile: `FROM node:20-alpine\nRUN echo first-line && node -e "${wait}"\n` }, { dataDir, onLine: (l) => { if (l.trim() === 'first-line') firstLine(); } })
    .finally(() => { ended = true; });
  const socket = await connected;
  await sawFirst;
  assert.equal(ended, false, 'the line arrived before the build ended');
  socket.end('go');
  const { out } = await building;
  assert.equal(out.stack, 'dockerfile');
});

test('pruneAppImages removes the app\'s build images not kept, and only the app\'s; removeAppImages removes the rest', { timeout: 120_000 }, async (t) => {
  const docker = await requireDocker(t);
  const base = await ensureBusyboxImage(docker);
  const platform = platformId(tempDir(t));
  const tags = [1, 2, 3].map((n) => imageTag(platform, 'app1', n)).concat(imageTag(platform, 'app10', 1), imageTag(platformId(tempDir(t)), 'app1', 1));
  t.after(() => removeImages(docker, tags));
  for (const tag of tags) {
    const [repo, number] = tag.split(':') as [string, string];
    await docker.getImage(base).tag({ repo, tag: number });
  }
  assert.deepEqual((await pruneAppImages(docker, platform, 'app1', [3])).sort(), [1, 2].map((n) => imageTag(platform, 'app1', n)));
  const present = async (tag: string) => docker.getImage(tag).inspect().then(() => true, () => false);
  assert.deepEqual(await Promise.all(tags.map(present)), [false, false, true, true, true]);
  assert.deepEqual(await removeAppImages(docker, platform, 'app1'), [imageTag(platform, 'app1', 3)]);
  assert.deepEqual(await Promise.all(tags.map(present)), [false, false, false, true, true]);
});

test('a Dockerfile FROM an image that does not exist and cannot be pulled fails the build, naming the image', { timeout: 120_000 }, async (t) => {
  const err = await build(t, { Dockerfile: 'FROM paas-test/no-such-image:1\nRUN true\n' }).then(() => undefined, (e: Error) => e);
  assert.equal((err as { code?: string } | undefined)?.code, 'E_BUILD_FAILED');
  assert.match(err!.message, /^The image build failed at `FROM paas-test\/no-such-image:1`: /);
});

test('a pushed symlink out of the tree never brings a host file into the image', { timeout: 600_000 }, async (t) => {
  const secretDir = tempDir(t);
  const secret = path.join(secretDir, 'secret.txt');
  fs.writeFileSync(secret, 'HOST-SECRET\n');
  // The link goes into the context as a link; the Engine resolves it inside the context, where nothing is there.
  const outcome = await build(t, { Dockerfile: 'FROM debian:bookworm-slim\nCOPY leak /leak\n', leak: { symlink: secret } })
    .then((b) => outputIn(b.docker, b.out.image!, ['cat', '/leak']), (e: Error) => e.message);
  assert.doesNotMatch(outcome, /HOST-SECRET/);
  assert.match(outcome, /^The image build failed at `COPY leak \/leak`: COPY failed: file not found in build context/);
});

test('a pushed Dockerfile that links out of the tree is not built: the injected one replaces it', { timeout: 600_000 }, async (t) => {
  const secretDir = tempDir(t);
  fs.writeFileSync(path.join(secretDir, 'Dockerfile'), 'FROM debian:bookworm-slim\nRUN echo HOSTILE-DOCKERFILE\n');
  const { out, lines } = await build(t, { Dockerfile: { symlink: path.join(secretDir, 'Dockerfile') }, 'package.json': fixture('node', 'package.json'), 'server.js': fixture('node', 'server.js') });
  assert.equal(out.stack, 'node');
  assert.ok(!lines.some((l) => l.includes('HOSTILE-DOCKERFILE')), lines.join('\n'));
});

test('a build that outlasts PAAS_BUILD_TIMEOUT_MS is cancelled with E_BUILD_FAILED', { timeout: 120_000 }, async (t) => {
  let started!: () => void;
  const running = new Promise<void>((resolve) => { started = resolve; });
  // The step blocks reading a pipe nobody writes: only the deadline ends it.
  const build1 = build(t, { Dockerfile: 'FROM debian:bookworm-slim\nRUN echo blocking && mkfifo /p && cat /p\n' }, { timeoutMs: 3000, onLine: (l) => { if (l.trim() === 'blocking') started(); } });
  const err = await build1.then(() => undefined, (e: Error & { lines: string[]; docker: Docker }) => e);
  await running;
  assert.equal((err as { code?: string } | undefined)?.code, 'E_BUILD_FAILED');
  assert.match(err!.message, /^The image build took longer than 3 s and was cancelled \(PAAS_BUILD_TIMEOUT_MS\)$/);
  // The step's container (` ---> Running in <id>`) is killed and removed by the Engine once the request is cancelled.
  const step = /^ {7} ---> Running in ([0-9a-f]{12})$/m.exec(err!.lines.join('\n'))?.[1];
  assert.ok(step, err!.lines.join('\n'));
  await waitFor(async () => !(await err!.docker.listContainers({ all: true, filters: { id: [step] } })).length, 30_000, `step container ${step} gone`);
});
