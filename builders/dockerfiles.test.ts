// Unit tests for builders/dockerfiles.ts: each template's meaningful lines (no snapshots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPaasError } from '../core/errors.ts';
import type { StackName } from './detect.ts';
import { dockerfileFor, nonRootWarning } from './dockerfiles.ts';
import { treeFromFiles } from './tree.ts';

function linesOf(stack: StackName, files: Record<string, string>): string[] {
  const text = dockerfileFor(stack, treeFromFiles(files));
  assert.ok(text !== undefined);
  assert.ok(text.endsWith('\n'));
  return text.split('\n');
}

function assertCommon(lines: string[], baseImage: string): void {
  assert.equal(lines[0], `ARG BASE_IMAGE=${baseImage}`);
  assert.ok(lines.includes('FROM ${BASE_IMAGE}') || lines.includes('FROM ${BASE_IMAGE} AS build'));
  assert.ok(lines.includes('WORKDIR /app'));
  assert.ok(lines.includes('EXPOSE 5000'));
  assert.ok(lines.includes('ENV PORT=5000'));
  const user = lines.find((l) => l.startsWith('USER '));
  assert.match(user ?? '', /^USER [1-9]\d*:[1-9]\d*$/, 'a numeric, non-root user');
  assert.ok(lines.indexOf(user ?? '') < lines.findIndex((l) => l.startsWith('CMD ')), 'USER comes before CMD');
  // The app's user may create files in /app (a release phase's `touch /app/release.test`), granted before USER.
  const chown = lines.indexOf(`RUN chown ${user?.slice(5)} /app`);
  assert.ok(chown > 0 && chown < lines.indexOf(user ?? ''), 'the app user owns /app');
}

const webCmd = 'CMD ["sh", "-c", "exec sh -c \\"$WEB_COMMAND\\""]';

test('node: lockfile -> npm ci, deps before sources, build script, npm start', () => {
  const lines = linesOf('node', {
    'package.json': JSON.stringify({ scripts: { build: 'tsc', start: 'node dist/server.js' } }),
    'package-lock.json': '{}',
  });
  assertCommon(lines, 'node:20-alpine');
  const copyManifests = lines.indexOf('COPY package.json package-lock.json ./');
  const install = lines.indexOf('RUN npm ci --no-audit --no-fund');
  const copyAll = lines.indexOf('COPY . .');
  const build = lines.indexOf('RUN npm run build');
  assert.ok(copyManifests > 0 && copyManifests < install && install < copyAll && copyAll < build, lines.join('\n'));
  assert.equal(lines.at(-2), 'CMD ["npm", "start"]');
});

test('node: no lockfile -> npm install; no build script -> no build step; Procfile web wins', () => {
  const lines = linesOf('node', { 'package.json': '{"scripts":{"start":"node a.js"}}', Procfile: 'web: node b.js --port $PORT' });
  assert.ok(lines.includes('COPY package.json ./'));
  assert.ok(lines.includes('RUN npm install --no-audit --no-fund'));
  assert.ok(!lines.some((l) => l.includes('npm run build')));
  assert.ok(lines.includes('ENV WEB_COMMAND="node b.js --port \\$PORT"'), 'the Procfile command, $ kept for run time');
  assert.equal(lines.at(-2), webCmd);
});

test('node: no start command and no Procfile is refused as in the native build', () => {
  assert.throws(
    () => dockerfileFor('node', treeFromFiles({ 'package.json': '{}' })),
    (err) => isPaasError(err, 'E_BUILD_FAILED') && /No start command/.test(err.message),
  );
});

test('python: venv + pip install -r requirements.txt before the sources, Procfile web', () => {
  const lines = linesOf('python', { 'requirements.txt': 'flask==3.0.0\n', Procfile: 'web: python app.py' });
  assertCommon(lines, 'python:3.12-slim');
  const venv = lines.indexOf('RUN python -m venv /opt/venv');
  const copyReq = lines.indexOf('COPY requirements.txt ./');
  const pip = lines.indexOf('RUN pip install -r requirements.txt');
  assert.ok(venv > 0 && venv < copyReq && copyReq < pip && pip < lines.indexOf('COPY . .'), lines.join('\n'));
  assert.ok(lines.includes('ENV PATH="/opt/venv/bin:$PATH"'));
  assert.ok(lines.includes('ENV WEB_COMMAND="python app.py"'));
  assert.equal(lines.at(-2), webCmd);
});

test('python: empty requirements skip pip; pyproject.toml alone -> pip install .', () => {
  const empty = linesOf('python', { 'requirements.txt': '# none\n', Procfile: 'web: python app.py' });
  assert.ok(!empty.some((l) => l.startsWith('RUN pip')));
  const project = linesOf('python', { 'pyproject.toml': '[project]\nname="x"\n', Procfile: 'web: x' });
  assert.ok(project.indexOf('COPY . .') < project.indexOf('RUN pip install .'));
  assert.throws(() => dockerfileFor('python', treeFromFiles({ 'requirements.txt': '' })), /need a Procfile/);
});

test('go: multi-stage build of bin/app, run from a slim image', () => {
  const lines = linesOf('go', { 'go.mod': 'module x\n', 'go.sum': '' });
  assertCommon(lines, 'golang:1.22');
  assert.ok(lines.includes('ARG RUNTIME_IMAGE=debian:bookworm-slim'));
  assert.ok(lines.indexOf('COPY go.mod go.sum ./') < lines.indexOf('RUN go mod download'));
  assert.ok(lines.includes('RUN CGO_ENABLED=0 go build -o bin/app .'));
  assert.ok(lines.includes('FROM ${RUNTIME_IMAGE}'));
  assert.ok(lines.includes('COPY --from=build /app /app'));
  assert.equal(lines.at(-2), 'CMD ["/app/bin/app"]');
  assert.ok(linesOf('go', { 'go.mod': 'module x\n' }).includes('COPY go.mod ./'));
});

test('static: node image serving the files with the copied static server', () => {
  const lines = linesOf('static', { 'index.html': '<h1>hi</h1>' });
  assertCommon(lines, 'node:20-alpine');
  assert.ok(lines.includes('COPY . .'));
  assert.equal(lines.at(-2), 'CMD ["node", ".paas/static-server.cjs"]');
});

test('procfile: debian slim running the baked-in web command through sh', () => {
  const lines = linesOf('procfile', { Procfile: 'web: ./serve "a b" \\x\nworker: ./work' });
  assertCommon(lines, 'debian:bookworm-slim');
  assert.ok(lines.includes('ENV WEB_COMMAND="./serve \\"a b\\" \\\\x"'), lines.join('\n'));
  assert.equal(lines.at(-2), webCmd);
});

test('procfile without web: no CMD, the platform runs each type', () => {
  const lines = linesOf('procfile', { Procfile: 'worker: ./work' });
  assert.ok(!lines.some((l) => l.startsWith('CMD ')));
});

test('dockerfile: the app brings its own', () => {
  assert.equal(dockerfileFor('dockerfile', treeFromFiles({ Dockerfile: 'FROM scratch' })), undefined);
});

test("an app's own Dockerfile: a numeric non-root USER in the final stage passes; root, a name or none gets a warning", () => {
  assert.equal(nonRootWarning('FROM node:20\nUSER 1000:1000\nCMD ["node", "s.js"]\n'), undefined);
  assert.equal(nonRootWarning('FROM golang AS build\nUSER root\nFROM alpine\nUSER 10001\n'), undefined, 'only the final stage counts');
  assert.equal(nonRootWarning('FROM alpine\nUSER $APP_UID\n'), undefined, 'a variable cannot be told at build time');
  assert.match(nonRootWarning('FROM alpine\nUSER 1000\nUSER 0:0\n') ?? '', /^Your Dockerfile runs the app as root, so it will not start\. .*`USER 1000`$/);
  assert.match(nonRootWarning('FROM alpine\nUSER root\n') ?? '', /runs the app as root/);
  assert.match(nonRootWarning('FROM node:20\nUSER node\n') ?? '', /^Your Dockerfile's USER node is a name, which Kubernetes cannot check is non-root/);
  assert.match(nonRootWarning('FROM node:20 AS b\nUSER 1000\nFROM node:20\nCMD x\n') ?? '', /^Your Dockerfile sets no USER; unless its base image runs as a numeric non-root user/);
  for (const stack of ['node', 'python', 'static'] as const) {
    const files: Record<string, string> = { node: { 'package.json': '{"scripts":{"start":"node s.js"}}' }, python: { 'requirements.txt': 'flask\n', Procfile: 'web: python app.py\n' }, static: { 'index.html': '<p>' } }[stack] as Record<string, string>;
    assert.equal(nonRootWarning(dockerfileFor(stack, treeFromFiles(files))!), undefined, `the injected ${stack} Dockerfile starts under runAsNonRoot`);
  }
});
