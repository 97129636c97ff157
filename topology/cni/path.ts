/**
 * libcni's FindInPath: the first directory of CNI_PATH holding an executable regular file named
 * after the plugin type. Shared by the plugins (which delegate to IPAM plugins) and the runner;
 * each reports a miss with its own error.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';

export function findInPath(type: string, dirs: readonly string[]): string | null {
  for (const dir of dirs) {
    const p = join(dir, type);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here: the next directory */
    }
  }
  return null;
}
