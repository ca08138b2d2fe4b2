/**
 * Disk usage of a volume's data (`volume inspect`'s UsageData, prune's reclaimed space): allocated
 * blocks, counting each inode once (hardlinks) and holes as free, like `du`. Never follows symlinks.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function du(root: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (dir: string): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const p = join(dir, name);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.nlink > 1 && !st.isDirectory()) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      total += st.blocks * 512;
      if (st.isDirectory()) await walk(p);
    }
  };
  await walk(root);
  return total;
}
