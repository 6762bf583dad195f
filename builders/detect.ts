// builders/detect.ts — picks the stack of a pushed tree from one ordered list; the first match wins. Used by native.ts, dockerfiles.ts and the builder pod.
import { PaasError } from '../core/errors.ts';
import type { Tree } from './tree.ts';

export type StackName = 'dockerfile' | 'node' | 'python' | 'go' | 'static' | 'procfile';

export interface Stack {
  name: StackName;
  /** Human name used in push output, e.g. 'Node.js'. */
  label: string;
  /** The main file that marks this stack, e.g. 'package.json'. */
  marker: string;
  /** Every file this stack is detected by (marker first). */
  markers: readonly string[];
  detect(tree: Tree): boolean;
}

function byMarkers(name: StackName, label: string, markers: readonly [string, ...string[]]): Stack {
  return {
    name,
    label,
    marker: markers[0],
    markers,
    detect: (tree) => markers.some((m) => tree.has(m)),
  };
}

/** A Go source file name (not a hidden file). */
export function isGoSource(name: string): boolean {
  return /^[^.].*\.go$/s.test(name);
}

/** The one ordered list of stacks; the first that detects wins. */
export const stacks: readonly Stack[] = [
  byMarkers('dockerfile', 'Dockerfile', ['Dockerfile']),
  byMarkers('node', 'Node.js', ['package.json']),
  byMarkers('python', 'Python', ['requirements.txt', 'pyproject.toml']),
  // Also .go files at the top without go.mod (the old GOPATH layout): detected, so the build says it needs go.mod.
  { ...byMarkers('go', 'Go', ['go.mod']), detect: (tree) => tree.has('go.mod') || tree.topFiles().some(isGoSource) },
  byMarkers('static', 'Static HTML', ['index.html']),
  byMarkers('procfile', 'Procfile', ['Procfile']),
];

/** Returns the stack for the tree, or throws E_RUNTIME_UNKNOWN listing what was looked for. */
export function detectStack(tree: Tree): Stack {
  const found = stacks.find((r) => r.detect(tree));
  if (!found) {
    const lookedFor = stacks.flatMap((r) => r.markers).join(', ');
    throw new PaasError('E_RUNTIME_UNKNOWN', `No supported app detected. Looked for: ${lookedFor}`);
  }
  return found;
}
