/**
 * `lifeboat export IMAGE`: the image's flattened root filesystem as one tar (what `docker export`
 * gives for a container, here for an image). Layers are applied in order, whiteouts deleting what
 * lower layers had, into a private temp directory beside the store (0700, so nothing the image
 * holds, setuid binaries included, is reachable by other users meanwhile); the result is walked
 * into a tar with owners, modes, xattrs, links and devices, then the directory is removed.
 * Disk cost: one unpacked copy of the image while the export runs.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { layerCompression } from '../core/media-types.js';
import { silentProgress, type Progress } from '../core/progress.js';
import { diffEntries } from '../diff/diff-entries.js';
import { writeTar } from '../diff/tar/tar-writer.js';
import { unpackLayer } from '../diff/unpack.js';
import type { ImageRecord, ImageStore } from './image-store.js';

/** Applies every layer of `img` into `dir` (flatten mode), verifying each DiffID. */
export async function flattenImage(images: ImageStore, img: ImageRecord, dir: string, progress: Progress = silentProgress): Promise<void> {
  for (const [i, layer] of img.manifest.layers.entries()) {
    const task = progress.task(`Applying layer ${layer.digest.slice(7, 19)}`, layer.size);
    const source = await images.content.reader(layer.digest, { verify: true });
    source.on('data', (c: Buffer) => task.advance(c.length));
    const compression = layerCompression(layer.mediaType);
    await unpackLayer(dir, source, { whiteouts: 'flatten', ...(compression ? { compression } : {}), diffId: img.config.rootfs.diff_ids[i]! });
    task.done();
  }
}

export async function exportImage(images: ImageStore, img: ImageRecord, out: Writable, opts: { progress?: Progress } = {}): Promise<void> {
  const scratch = join(images.content.root, 'tmp');
  await mkdir(scratch, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(scratch, 'export-'));
  try {
    await flattenImage(images, img, dir, opts.progress);
    await pipeline(Readable.from(writeTar(diffEntries(dir, { source: 'plain' }))), out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
