// builders/entrypoint.ts — the builder pod's init container (our builder image): fetch the pushed source from gitd,
// detect the stack, write the injected Dockerfile for Kaniko, and report the result in the termination log.
import { existsSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPaasError, PaasError, type ErrorCode } from '../core/errors.ts';
import { defaultProcessTypes, readProcfile } from './app-facts.ts';
import { detectStack, type Stack, type StackName } from './detect.ts';
import { dockerfileFor, nonRootWarning } from './dockerfiles.ts';
import { installStaticServer, processTypeLines } from './native.ts';
import { indent } from './run-step.ts';
import { fetchSource } from './source-fetch.ts';
import { treeFromDir, type Tree } from './tree.ts';
import type { Say } from '../core/say.ts';

/** What the controller sets on the init container (read once, here). */
export interface BuilderEnv {
  sourceUrl: string;
  token: string;
  app: string;
  buildId: string;
  workspace: string;
  terminationLog: string;
}

/** The build result the controller reads from the container's termination message. */
export interface BuilderResult {
  stack: StackName;
  processTypes: Record<string, string>;
  /** Path of the Dockerfile inside the workspace, for Kaniko's --dockerfile. */
  dockerfile: string;
}

/** Where the build Job mounts the token (runtime/kubernetes/job-manifests.ts BUILD_TOKEN_FILE); PAAS_BUILD_TOKEN_FILE overrides it. */
const defaultTokenFile = '/var/run/paas/build/token';

/** Kubernetes keeps at most 4096 bytes of a termination message. */
const terminationLimit = 4096;
const dockerfileName = 'Dockerfile';


/**
 * Reads the build token from its file: a projected Secret, never an environment variable (which `kubectl describe`,
 * the Job's spec and every process of the container would show).
 */
function readToken(file: string): string {
  let token: string;
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new PaasError('E_BUILD_FAILED', `The builder cannot read its build token at ${file} (the controller mounts it from a per-build Secret): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!token) throw new PaasError('E_BUILD_FAILED', `The build token file ${file} is empty`);
  return token;
}

/** Reads the builder's settings from its environment (the token from its file); throws when the controller left one out. */
export function readBuilderEnv(env: NodeJS.ProcessEnv): BuilderEnv {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new PaasError('E_BUILD_FAILED', `The builder needs ${name} (the controller sets it on the build pod)`);
    return value;
  };
  return {
    sourceUrl: need('PAAS_SOURCE_URL'),
    app: need('PAAS_APP'),
    buildId: need('PAAS_BUILD_ID'),
    token: readToken(env.PAAS_BUILD_TOKEN_FILE || defaultTokenFile),
    workspace: env.PAAS_WORKSPACE || '/workspace',
    terminationLog: env.PAAS_TERMINATION_LOG || '/dev/termination-log',
  };
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Writes the injected Dockerfile (and the static server it copies), unless the app brings its own. */
function writeDockerfile(workspace: string, stack: Stack, tree: Tree, say: Say, warnNonRoot: boolean): void {
  if (stack.name === 'dockerfile') {
    say("-----> Using the app's own Dockerfile");
    if (!warnNonRoot) return;
    const own = join(workspace, dockerfileName);
    // Only a regular file: a symlink out of the tree is not followed (Kaniko resolves it inside the context).
    const warning = existsSync(own) && lstatSync(own).isFile() ? nonRootWarning(readFileSync(own, 'utf8')) : undefined;
    if (warning) say(`${indent}Warning: ${warning}`);
    return;
  }
  const text = dockerfileFor(stack.name, tree);
  if (text === undefined) throw new PaasError('E_BUILD_FAILED', `No Dockerfile template for ${stack.label}`);
  if (stack.name === 'static') installStaticServer(workspace);
  // Whatever the push holds at that name (a symlink out of the tree, a directory) is replaced, never followed.
  const target = join(workspace, dockerfileName);
  rmSync(target, { recursive: true, force: true });
  writeFileSync(target, text, { flag: 'wx' });
  say(`-----> Writing Dockerfile for ${stack.label}`);
}

/**
 * Detects the app in the workspace, writes its Dockerfile and returns what the controller deploys. `warnNonRoot`:
 * warn when an app's own Dockerfile would not pass Kubernetes' runAsNonRoot (Docker mode runs such images as they are).
 */
export function prepareBuild(workspace: string, say: Say, { warnNonRoot = true, onStack }: { warnNonRoot?: boolean; onStack?: (stack: string) => void } = {}): BuilderResult {
  const tree = treeFromDir(workspace);
  const stack = detectStack(tree);
  onStack?.(stack.name); // before the checks that may fail: the failed build is still labelled with its stack
  say(`-----> ${stack.label} app detected`);
  const procfile = readProcfile(tree);
  const defaults = defaultProcessTypes(stack.name, tree, procfile); // the same checks as the native build
  writeDockerfile(workspace, stack, tree, say, warnNonRoot);
  processTypeLines(stack, procfile ?? {}, defaults).forEach(say);
  return { stack: stack.name, processTypes: { ...defaults, ...procfile }, dockerfile: dockerfileName };
}

/** The termination message for a result; refuses process types too long for Kubernetes to keep. */
export function toTerminationMessage(result: BuilderResult): string {
  const text = JSON.stringify(result);
  const bytes = Buffer.byteLength(text);
  if (bytes > terminationLimit) {
    throw new PaasError('E_PROCFILE_INVALID', `The Procfile's commands are too long to hand over (${bytes} bytes with the build result; at most ${terminationLimit})`);
  }
  return text;
}

function failureMessage(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message: message.slice(0, 2000) } });
}

/** Runs the whole init container; prints push output and returns the exit code (0 built, 1 failed). */
export async function runBuilder(env: NodeJS.ProcessEnv, say: Say): Promise<number> {
  const terminationLog = env.PAAS_TERMINATION_LOG || '/dev/termination-log';
  try {
    const cfg = readBuilderEnv(env);
    say(`-----> Fetching source for ${cfg.app} (build ${cfg.buildId})`);
    const bytes = await fetchSource({ url: cfg.sourceUrl, token: cfg.token, workspace: cfg.workspace });
    say(`${indent}Received ${formatSize(bytes)}`);
    const result = prepareBuild(cfg.workspace, say);
    writeFileSync(terminationLog, toTerminationMessage(result));
    return 0;
  } catch (err) {
    const code: ErrorCode = isPaasError(err) ? err.code : 'E_INTERNAL';
    const message = isPaasError(err) ? err.message : `The builder failed unexpectedly: ${(err as Error).message}`;
    say(` !     ${message}`);
    // The controller reads why from the pod status; a log that cannot be written is reported on stderr only.
    try {
      writeFileSync(terminationLog, failureMessage(code, message));
    } catch (writeErr) {
      process.stderr.write(`cannot write ${terminationLog}: ${(writeErr as Error).message}\n`);
    }
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runBuilder(process.env, (line) => process.stdout.write(`${line}\n`));
}
