// builders/native.ts — the embedded mode's native build: detects the stack and builds the app in place (srcDir becomes the slug); called by the controller's local builder driver.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PaasError } from '../core/errors.ts';
import {
  defaultProcessTypes,
  npmInstallArgv,
  pythonInstallMode,
  readPackageScripts,
  readProcfile,
} from './app-facts.ts';
import { detectStack, type Stack, type StackName } from './detect.ts';
import { indent, runStep, type BuildContext } from './run-step.ts';
import { treeFromDir, type Tree } from './tree.ts';

export interface BuildResult {
  stack: StackName;
  /** Procfile types over the stack's defaults; `release` is kept for the controller to act on. */
  processTypes: Record<string, string>;
  /** Dirs relative to srcDir to put first on PATH when running, e.g. ['.venv/bin']. */
  pathPrepend: string[];
}

type NativeStack = Exclude<StackName, 'dockerfile'>;
type BuildSteps = (ctx: BuildContext, tree: Tree) => Promise<string[]>;

const npmMissing = 'npm not found on this host: install Node.js with npm, or deploy in Kubernetes mode';
const pythonMissing = 'Python 3 not found on this host: install python3 with venv, or deploy in Kubernetes mode';
const staticServerSource = fileURLToPath(new URL('./static-server.cjs', import.meta.url));

/** Copies the static file server into `<dir>/.paas/static-server.cjs` (the builder pod does the same before Kaniko). */
export function installStaticServer(dir: string): void {
  const target = join(dir, '.paas');
  // .paas is ours: whatever the push put there (even a symlink out of the tree) is replaced, never followed.
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target);
  copyFileSync(staticServerSource, join(target, 'static-server.cjs'));
}

async function buildNode(ctx: BuildContext, tree: Tree): Promise<string[]> {
  const install = npmInstallArgv(tree);
  ctx.say(`-----> Installing dependencies with npm ${install[1]}`);
  await runStep(ctx, { name: `npm ${install[1]}`, argv: install, missingTool: npmMissing });
  if (readPackageScripts(tree).build !== undefined) {
    ctx.say('-----> Running build script (npm run build)');
    await runStep(ctx, { name: 'npm run build', argv: ['npm', 'run', 'build'], missingTool: npmMissing });
  }
  return ['node_modules/.bin'];
}

async function buildPython(ctx: BuildContext, tree: Tree): Promise<string[]> {
  const env = { PYTHONUNBUFFERED: '1', PIP_NO_INPUT: '1' }; // unbuffered, so pip's lines stream as they happen
  const mode = pythonInstallMode(tree);
  // With nothing to install, the venv skips bootstrapping pip (seconds saved, and no PyPI needed).
  const venvArgv = ['python3', '-m', 'venv', ...(mode === 'none' ? ['--without-pip'] : []), '.venv'] as const;
  ctx.say('-----> Creating virtualenv in .venv');
  await runStep(ctx, { name: 'python3 -m venv', argv: venvArgv, missingTool: pythonMissing, env });
  ctx.say(`-----> Installing ${mode === 'project' ? 'the project' : 'requirements'} with pip`);
  if (mode === 'none') {
    ctx.say(`${indent}No requirements to install`);
    return ['.venv/bin'];
  }
  // Relative to the app's dir (the step's cwd): the same path in and out of the sandbox, where the dir is /app.
  const pip = './.venv/bin/pip';
  const target = mode === 'requirements' ? ['-r', 'requirements.txt'] : ['.'];
  const argv = [pip, 'install', '--disable-pip-version-check', ...target] as const;
  await runStep(ctx, { name: 'pip install', argv, missingTool: 'pip is missing from the virtualenv', env });
  return ['.venv/bin'];
}

async function buildGo(ctx: BuildContext): Promise<string[]> {
  ctx.say('-----> Building with go build');
  await runStep(ctx, {
    name: 'go build',
    argv: ['go', 'build', '-o', 'bin/app', '.'],
    missingTool: 'Go toolchain not found on this host: install Go, or deploy in Kubernetes mode',
  });
  return ['bin'];
}

async function buildStatic(ctx: BuildContext): Promise<string[]> {
  ctx.say('-----> Serving index.html and the files beside it');
  installStaticServer(ctx.srcDir);
  return [];
}

async function buildProcfile(ctx: BuildContext): Promise<string[]> {
  ctx.say('-----> Procfile app: running its commands as given');
  return [];
}

const buildSteps: Record<NativeStack, BuildSteps> = {
  node: buildNode,
  python: buildPython,
  go: buildGo,
  static: buildStatic,
  procfile: buildProcfile,
};

/** The "Discovering process types" lines of push output (the builder pod prints the same). */
export function processTypeLines(stack: Stack, procfile: Record<string, string>, defaults: Record<string, string>): string[] {
  const lines = ['-----> Discovering process types'];
  const declared = Object.keys(procfile);
  const fromDefaults = Object.keys(defaults).filter((type) => !Object.hasOwn(procfile, type));
  if (declared.length > 0) lines.push(`${indent}Procfile declares types -> ${declared.join(', ')}`);
  if (fromDefaults.length > 0) lines.push(`${indent}Default types for ${stack.label} -> ${fromDefaults.join(', ')}`);
  return lines;
}

/** Detects and builds the app in ctx.srcDir, streaming Heroku-style output to ctx.say; throws PaasError on failure. */
export async function buildNative(ctx: BuildContext): Promise<BuildResult> {
  const tree = treeFromDir(ctx.srcDir);
  const stack = detectStack(tree);
  ctx.onStack?.(stack.name);
  ctx.say(`-----> ${stack.label} app detected`);
  if (stack.name === 'dockerfile') {
    throw new PaasError(
      'E_RUNTIME_UNSUPPORTED',
      'A Dockerfile app is built only with Docker Engine or in Kubernetes mode: start Docker Engine (local mode then builds and runs Dockerfile apps with it, unless PAAS_DOCKER=off), or run the platform with PAAS_RUNTIME=docker or PAAS_RUNTIME=kubernetes. The embedded mode builds Node.js, Python, Go, static and Procfile apps natively: remove the Dockerfile to build natively.',
    );
  }
  // Checked before any step runs, so a bad Procfile or a missing start command fails in seconds.
  const procfile = readProcfile(tree);
  const defaults = defaultProcessTypes(stack.name, tree, procfile);
  const pathPrepend = await buildSteps[stack.name](ctx, tree);
  processTypeLines(stack, procfile ?? {}, defaults).forEach((line) => ctx.say(line));
  return { stack: stack.name, processTypes: { ...defaults, ...procfile }, pathPrepend };
}
