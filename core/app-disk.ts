// core/app-disk.ts — where an app's slugs live and how much disk an app uses (its repo plus its kept slugs): the
// per-app quota of pushes (gitd/pre-receive.ts) and slug retention (controller/slug-retention.ts) share it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseAppName } from './names.ts';

/** The directory that holds one slug per build of the app (the name is re-validated: it becomes a path). */
export function appSlugsDir(dataDir: string, app: string): string {
  return path.join(dataDir, 'apps', parseAppName(app), 'slugs');
}

/** Bytes of the files under dir (apparent sizes; symlinks are not followed); 0 when it does not exist. */
export async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else total += (await fs.lstat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}
