/**
 * `lifeboat import`: a root filesystem tarball (file or stdin; plain, gzip or zstd) becomes a
 * one-layer image. The layer is stored uncompressed, so its digest is its DiffID. While the bytes
 * stream into the store they are also parsed as tar: a malformed or hostile archive (an entry that
 * climbs out with `..`, a bad header, a truncated stream) is refused before anything is committed.
 */
import { once } from 'node:events';
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { applyChanges } from '../core/image-change.js';
import { HostileArchiveError } from '../core/errors.js';
import { MediaType } from '../core/media-types.js';
import { hostPlatform, type ImageConfig } from '../core/oci.js';
import type { Progress } from '../core/progress.js';
import { silentProgress } from '../core/progress.js';
import { autoDecompress } from '../diff/compression.js';
import { readTar } from '../diff/tar/tar-reader.js';
import type { ImageRecord, ImageStore } from './image-store.js';

export interface ImportOptions {
  name?: string;
  changes?: string[];
  message?: string;
  /** Where the tarball came from, for the history comment ("Imported from -"). */
  source?: string;
  /** RFC 3339 creation time; fixed by callers that want a reproducible image ID. */
  created?: string;
  progress?: Progress;
}

/** Refuses entry names that leave the root once normalized; the applier re-checks at unpack. */
export function checkEntryName(name: string): void {
  const normalized = posix.normalize(`./${name}`);
  if (normalized === '..' || normalized.startsWith('../')) throw new HostileArchiveError(`archive entry "${name}" points outside the root`, { entry: name });
}

async function validate(tar: PassThrough): Promise<number> {
  let entries = 0;
  for await (const entry of readTar(tar, { drainTrailing: true })) {
    checkEntryName(entry.path);
    if (entry.type === 'hardlink') checkEntryName(entry.linkname);
    entries++;
  }
  return entries;
}

export async function importRootfs(images: ImageStore, source: Readable, opts: ImportOptions = {}): Promise<ImageRecord> {
  const progress = opts.progress ?? silentProgress;
  const task = progress.task('Importing');
  const { stream } = await autoDecompress(source);
  const tee = new PassThrough({ highWaterMark: 1 << 20 });
  let failed: unknown;
  const validating = validate(tee).catch((err: unknown) => {
    failed = err;
    tee.resume();
    return 0;
  });
  const writer = await images.content.writer();
  try {
    for await (const chunk of stream) {
      if (failed) break;
      await writer.write(chunk as Buffer);
      task.advance((chunk as Buffer).length);
      if (!tee.write(chunk)) await Promise.race([once(tee, 'drain'), validating]);
    }
    tee.end();
    await validating;
    if (failed) throw failed;
  } catch (err) {
    stream.destroy();
    await writer.abort();
    task.done();
    throw err;
  }
  const layer = await writer.commit();
  task.done();
  const created = opts.created ?? new Date().toISOString();
  const config: ImageConfig = {
    created,
    ...hostPlatform(),
    config: applyChanges({}, opts.changes ?? []),
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
    history: [{ created, created_by: '', comment: opts.message ?? `Imported from ${opts.source ?? '-'}` }],
  };
  return images.create({
    config,
    layers: [{ mediaType: MediaType.OciLayer, digest: layer.digest, size: layer.size }],
    ...(opts.name !== undefined ? { name: opts.name } : {}),
  });
}
