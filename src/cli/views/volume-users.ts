/**
 * Whether a named volume is mounted by a container: read from container records
 * (containers/<id>/config.json, `mounts[]` with `type: "volume"` and `source` = volume name).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { storeLayout } from '../../core/layout.js';

export function volumeInUse(root: string): (name: string) => Promise<boolean> {
  const dir = storeLayout(root).containers;
  return async (name: string) => {
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      try {
        const rec = JSON.parse(await readFile(join(dir, id, 'config.json'), 'utf8')) as { mounts?: Array<{ type?: string; source?: string }> };
        if (rec.mounts?.some((m) => m.type === 'volume' && m.source === name)) return true;
      } catch {
        /* being created or removed */
      }
    }
    return false;
  };
}
