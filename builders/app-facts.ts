// builders/app-facts.ts — what a build needs to know about an app (scripts, requirements, Procfile, default process types); shared by native.ts and dockerfiles.ts so both modes agree.
import { PaasError } from '../core/errors.ts';
import { isGoSource, type StackName } from './detect.ts';
import { parseProcfile } from './procfile.ts';
import type { Tree } from './tree.ts';

/** The web command of a static app: the server native.ts copies into the slug. */
export const staticWebCommand = 'node .paas/static-server.cjs';

/** Returns package.json's string scripts; throws E_BUILD_FAILED when package.json is not a JSON object. */
export function readPackageScripts(tree: Tree): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(tree.read('package.json') ?? '');
  } catch (err) {
    throw new PaasError('E_BUILD_FAILED', `package.json is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PaasError('E_BUILD_FAILED', 'package.json must hold a JSON object');
  }
  const scripts = (parsed as { scripts?: unknown }).scripts;
  if (typeof scripts !== 'object' || scripts === null) return {};
  return Object.fromEntries(Object.entries(scripts).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The npm install argv: `npm ci` when a lockfile is committed, else `npm install`. */
export function npmInstallArgv(tree: Tree): readonly ['npm', 'ci' | 'install', '--no-audit', '--no-fund'] {
  const locked = tree.has('package-lock.json') || tree.has('npm-shrinkwrap.json');
  return ['npm', locked ? 'ci' : 'install', '--no-audit', '--no-fund'];
}

/** True when requirements.txt text has at least one line that is not blank or a comment. */
export function hasRequirementLines(text: string): boolean {
  return text.split(/\r\n|\r|\n/).some((line) => {
    const trimmed = line.trim();
    return trimmed !== '' && !trimmed.startsWith('#');
  });
}

/** How a Python app's dependencies are installed: from requirements.txt, from pyproject.toml, or not at all. */
export function pythonInstallMode(tree: Tree): 'requirements' | 'project' | 'none' {
  const requirements = tree.read('requirements.txt');
  if (requirements !== undefined) return hasRequirementLines(requirements) ? 'requirements' : 'none';
  return tree.has('pyproject.toml') ? 'project' : 'none';
}

/** The parsed Procfile, or undefined when the tree has none. */
export function readProcfile(tree: Tree): Record<string, string> | undefined {
  const text = tree.read('Procfile');
  return text === undefined ? undefined : parseProcfile(text);
}

/** The refusal of a Go app in the GOPATH layout (.go files, no go.mod): the Go build works on modules only. */
function goModMissing(tree: Tree): PaasError {
  // File names are the pusher's: anything but printable ASCII (newlines, escapes) is shown as '?', and long names cut.
  const sources = tree.topFiles().filter(isGoSource).map((name) => name.replace(/[^\x20-\x7e]/g, '?').slice(0, 60));
  const shown = sources.slice(0, 3).join(', ') + (sources.length > 3 ? ', …' : '');
  return new PaasError('E_BUILD_FAILED', [
    `Go builds need go.mod: this app has Go files (${shown}) but no go.mod (the GOPATH layout, which Go no longer builds).`,
    'Run `go mod init <module>` (e.g. go mod init example.com/myapp) and `go mod tidy`, commit go.mod and go.sum, and push again.',
  ].join('\n'));
}

/** The stack's own process types (before the Procfile overrides them); throws when the app has no way to start. */
export function defaultProcessTypes(
  stack: StackName,
  tree: Tree,
  procfile: Record<string, string> | undefined,
): Record<string, string> {
  switch (stack) {
    case 'node': {
      const scripts = readPackageScripts(tree);
      if (scripts.start !== undefined || tree.has('server.js')) return { web: 'npm start' };
      if (procfile === undefined) {
        throw new PaasError('E_BUILD_FAILED', 'No start command: add a Procfile (web: node server.js) or a "start" script in package.json');
      }
      return {};
    }
    case 'python':
      if (procfile === undefined) {
        throw new PaasError('E_BUILD_FAILED', 'Python apps need a Procfile, for example: web: python app.py');
      }
      return {};
    case 'go':
      if (!tree.has('go.mod')) throw goModMissing(tree);
      return { web: 'bin/app' };
    case 'static':
      return { web: staticWebCommand };
    case 'procfile':
      if (procfile === undefined || Object.keys(procfile).length === 0) {
        throw new PaasError('E_PROCFILE_INVALID', 'The Procfile declares no process types');
      }
      return {};
    case 'dockerfile':
      return {};
  }
}

/**
 * A user Dockerfile without a Procfile runs as its image says: web with an empty command (the image's CMD/ENTRYPOINT).
 * Both image-building modes (Docker, Kubernetes) deploy what this returns.
 */
export function imageProcessTypes(stack: string, processTypes: Record<string, string>): Record<string, string> {
  return stack === 'dockerfile' && Object.keys(processTypes).length === 0 ? { web: '' } : processTypes;
}
