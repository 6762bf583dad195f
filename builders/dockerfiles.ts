// builders/dockerfiles.ts — the Dockerfile injected per stack for the Kubernetes mode (Kaniko); used by the builder-pod entrypoint.
import {
  defaultProcessTypes,
  npmInstallArgv,
  pythonInstallMode,
  readPackageScripts,
  readProcfile,
  staticWebCommand,
} from './app-facts.ts';
import type { StackName } from './detect.ts';
import type { Tree } from './tree.ts';

/** Non-root users, numeric so Kubernetes' runAsNonRoot can verify them. */
const nodeUser = '1000:1000'; // the official node images' `node` user
const appUser = '10001:10001';

/**
 * What an app's own Dockerfile says about the user its image runs as, for Kubernetes' runAsNonRoot (checked by
 * the kubelet at container start): the last USER of the final stage. Undefined when it is fine (a numeric
 * non-root uid); else a warning for the push. A USER with a variable, or none (the base image's), cannot be told.
 */
export function nonRootWarning(dockerfile: string): string | undefined {
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((l) => l.trim());
  const from = lines.reduce((last, l, i) => (/^FROM\s/i.test(l) ? i : last), -1);
  const finalStage = lines.slice(from + 1);
  const user = finalStage.filter((l) => /^USER\s/i.test(l)).at(-1)?.slice(5).trim().split(':')[0];
  const advice = 'Kubernetes mode runs apps as non-root: end your Dockerfile with a numeric USER, e.g. `USER 1000`';
  if (user === undefined) return `Your Dockerfile sets no USER; unless its base image runs as a numeric non-root user, the app will not start. ${advice}`;
  if (user.includes('$')) return undefined;
  if (user === 'root' || user === '0') return `Your Dockerfile runs the app as root, so it will not start. ${advice}`;
  if (!/^\d+$/.test(user)) return `Your Dockerfile's USER ${user} is a name, which Kubernetes cannot check is non-root, so the app will not start. ${advice}`;
  return undefined;
}

/** Quotes a value for a Dockerfile ENV line; `$` is escaped so $PORT is expanded when the process starts, not at build time. */
function envValue(value: string): string {
  return `"${value.replace(/[\\"$]/g, (c) => `\\${c}`)}"`;
}

function execForm(argv: readonly string[]): string {
  return `[${argv.map((a) => JSON.stringify(a)).join(', ')}]`;
}

function header(baseImage: string): string[] {
  return [`ARG BASE_IMAGE=${baseImage}`, 'FROM ${BASE_IMAGE}', 'WORKDIR /app'];
}

/** The run section: port, user, and a CMD that starts the web process (the Procfile's, baked into WEB_COMMAND, or the stack's default). */
function runSection(user: string, procfileWeb: string | undefined, defaultCmd: readonly string[] | undefined): string[] {
  // The app's user may write to /app (its own dir, as on Heroku and Dokku: `release: touch /app/release.test`);
  // the files stay root's, only new entries can be made.
  const lines = ['', 'ENV PORT=5000', 'EXPOSE 5000', `RUN chown ${user} /app`, `USER ${user}`];
  if (procfileWeb !== undefined) {
    lines.push(`ENV WEB_COMMAND=${envValue(procfileWeb)}`, `CMD ${execForm(['sh', '-c', 'exec sh -c "$WEB_COMMAND"'])}`);
  } else if (defaultCmd !== undefined) {
    lines.push(`CMD ${execForm(defaultCmd)}`);
  } else {
    lines.push('# No web process: the platform starts each Procfile type with its own command.');
  }
  return lines;
}

function nodeTemplate(tree: Tree, web: string | undefined, hasStart: boolean): string[] {
  const install = npmInstallArgv(tree);
  const manifests = ['package.json', 'package-lock.json', 'npm-shrinkwrap.json'].filter((f) => tree.has(f));
  const build = readPackageScripts(tree).build !== undefined ? ['RUN npm run build'] : [];
  return [
    ...header('node:20-alpine'),
    '# Dependencies first, so they stay cached until the manifests change.',
    `COPY ${manifests.join(' ')} ./`,
    `RUN ${install.join(' ')}`,
    'COPY . .',
    ...build,
    ...runSection(nodeUser, web, hasStart ? ['npm', 'start'] : undefined),
  ];
}

function pythonInstall(tree: Tree): string[] {
  switch (pythonInstallMode(tree)) {
    case 'requirements':
      return ['COPY requirements.txt ./', 'RUN pip install -r requirements.txt', 'COPY . .'];
    case 'project':
      return ['COPY . .', 'RUN pip install .'];
    case 'none':
      return ['# requirements.txt lists no packages: nothing to install.', 'COPY . .'];
  }
}

function pythonTemplate(tree: Tree, web: string | undefined): string[] {
  return [
    ...header('python:3.12-slim'),
    'ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1',
    'RUN python -m venv /opt/venv',
    'ENV PATH="/opt/venv/bin:$PATH"',
    ...pythonInstall(tree),
    ...runSection(appUser, web, undefined),
  ];
}

function goTemplate(tree: Tree, web: string | undefined): string[] {
  const modules = ['go.mod', 'go.sum'].filter((f) => tree.has(f));
  return [
    'ARG BASE_IMAGE=golang:1.22',
    'ARG RUNTIME_IMAGE=debian:bookworm-slim',
    'FROM ${BASE_IMAGE} AS build',
    'WORKDIR /app',
    '# Modules first, so they stay cached until go.mod or go.sum change.',
    `COPY ${modules.join(' ')} ./`,
    'RUN go mod download',
    'COPY . .',
    'RUN CGO_ENABLED=0 go build -o bin/app .',
    '',
    '# The app tree (for Procfile commands and assets) with its static binary in bin/app.',
    'FROM ${RUNTIME_IMAGE}',
    'WORKDIR /app',
    'COPY --from=build /app /app',
    ...runSection(appUser, web, ['/app/bin/app']),
  ];
}

function staticTemplate(web: string | undefined): string[] {
  return [
    ...header('node:20-alpine'),
    `# .paas/static-server.cjs is written into the build context by the builder (installStaticServer).`,
    'COPY . .',
    ...runSection(nodeUser, web, staticWebCommand.split(' ')),
  ];
}

function procfileTemplate(web: string | undefined): string[] {
  return [...header('debian:bookworm-slim'), 'COPY . .', ...runSection(appUser, web, undefined)];
}

/** Returns the Dockerfile for the stack, or undefined for 'dockerfile' (the app's own is used); throws like the native build when the app cannot start. */
export function dockerfileFor(stack: StackName, tree: Tree): string | undefined {
  if (stack === 'dockerfile') return undefined;
  const procfile = readProcfile(tree);
  const defaults = defaultProcessTypes(stack, tree, procfile); // same checks as the native build
  const web = procfile?.web;
  const lines = {
    node: () => nodeTemplate(tree, web, defaults.web !== undefined),
    python: () => pythonTemplate(tree, web),
    go: () => goTemplate(tree, web),
    static: () => staticTemplate(web),
    procfile: () => procfileTemplate(web),
  }[stack]();
  return `${lines.join('\n')}\n`;
}
