/**
 * Which containers use an image: read from each container's record (containers/<id>/config.json,
 * field `imageId`), so image commands need not load the runtime.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Digest } from '../../core/digest.js';
import { storeLayout } from '../../core/layout.js';
import type { ImageUsers } from '../../ops/images.js';

export function imageUsers(root: string): ImageUsers {
  const dir = storeLayout(root).containers;
  return async (imageId: Digest) => {
    const users: string[] = [];
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      try {
        const rec = JSON.parse(await readFile(join(dir, id, 'config.json'), 'utf8')) as { imageId?: string; name?: string };
        if (rec.imageId === imageId) users.push(rec.name ?? id.slice(0, 12));
      } catch {
        /* a container being created or removed right now */
      }
    }
    return users;
  };
}
