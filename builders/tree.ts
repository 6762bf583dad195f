// builders/tree.ts — read-only view of a pushed source tree; detect.ts, native.ts and dockerfiles.ts look at apps only through it.
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A source tree seen as files by relative path (forward slashes). */
export interface Tree {
  /** True when path names a regular file inside the tree. */
  has(path: string): boolean;
  /** The file's text (UTF-8), or undefined when it is missing, not a regular file, or outside the tree. */
  read(path: string): string | undefined;
  /** The names of the regular files at the top of the tree (what has() accepts there), sorted. */
  topFiles(): string[];
}

function isInside(root: string, full: string): boolean {
  const rel = relative(root, full);
  return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
}

function realpathIfExists(full: string): string | undefined {
  try {
    return realpathSync(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw err;
  }
}

/**
 * Returns a Tree over the files under dir.
 * Security boundary: a pushed repo may hold `..` paths or symlinks pointing anywhere on the host,
 * so every path is resolved (symlinks included) and refused unless it stays inside dir.
 */
export function treeFromDir(dir: string): Tree {
  const root = realpathSync(dir);
  const locate = (path: string): string | undefined => {
    if (path === '' || isAbsolute(path) || path.includes('\0')) return undefined;
    const full = resolve(root, path);
    if (!isInside(root, full)) return undefined;
    const real = realpathIfExists(full);
    if (real === undefined || !isInside(root, real)) return undefined;
    return statSync(real).isFile() ? real : undefined;
  };
  return {
    has: (path) => locate(path) !== undefined,
    read: (path) => {
      const real = locate(path);
      return real === undefined ? undefined : readFileSync(real, 'utf8');
    },
    topFiles: () => readdirSync(root).filter((name) => locate(name) !== undefined).sort(),
  };
}

/** Returns a Tree over an in-memory map of path -> content (for tests and templates). */
export function treeFromFiles(files: Record<string, string>): Tree {
  const map = new Map(Object.entries(files));
  return {
    has: (path) => map.has(path),
    read: (path) => map.get(path),
    topFiles: () => [...map.keys()].filter((path) => !path.includes('/')).sort(),
  };
}
