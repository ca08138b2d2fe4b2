/**
 * `volume import NAME file.tar[.gz|.zst]`: a tar (from `volume export`, GNU tar, anything POSIX)
 * → a volume's contents. The archive is applied by the diff layer's scoped applier
 * (diff/apply.ts) into a private staging directory: every path is resolved inside it, `..`
 * escapes, links out of the root and device numbers out of range are refused as hostile, and a
 * refused or broken archive leaves nothing behind. Only a fully applied tree is swapped in: as a
 * new volume, into an empty one, or over an existing one's contents with `overwrite`.
 */
import { chmod, lchown, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ConflictError } from '../core/errors.js';
import { applyLayer, type ApplyResult } from '../diff/apply.js';
import { autoDecompress } from '../diff/compression.js';
import { withVolumeLock } from './volume-lock.js';
import type { VolumeStore } from './volume-store.js';

export interface ImportVolumeOptions {
  overwrite?: boolean;
  labels?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ImportVolumeResult {
  volume: string;
  created: boolean;
  entries: number;
  bytes: number;
  skipped: ApplyResult['skipped'];
}

export async function importVolume(root: string, volumes: VolumeStore, name: string, archive: Readable, opts: ImportVolumeOptions = {}): Promise<ImportVolumeResult> {
  return withVolumeLock(root, name, async () => {
    const exists = await volumes.exists(name);
    if (exists) {
      await volumes.repair(name);
      if (!opts.overwrite && (await readdir(volumes.dataPath(name))).length > 0) {
        throw new ConflictError(`volume ${name} is not empty`, { hint: 'use --overwrite to replace its contents with the archive' });
      }
    }
    const staging = await volumes.stagingDir(exists ? name : undefined);
    try {
      const data = join(staging, 'data');
      await mkdir(data, 0o700);
      const { stream } = await autoDecompress(archive);
      const result = await applyLayer(data, stream, { whiteouts: 'flatten', signal: opts.signal });
      // The volume root keeps its owner and mode (a new volume gets the default 0755).
      const old = exists ? await lstat(volumes.dataPath(name)) : undefined;
      if (old && process.getuid?.() === 0) await lchown(data, old.uid, old.gid);
      await chmod(data, old ? old.mode & 0o7777 : 0o755);
      if (exists) await volumes.replaceData(name, data);
      else await volumes.adopt(name, data, { labels: opts.labels ?? {} });
      return { volume: name, created: !exists, entries: result.entries, bytes: result.bytes, skipped: result.skipped };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  });
}
