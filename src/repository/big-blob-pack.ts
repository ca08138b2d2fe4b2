/**
 * A blob at least as big as the pack target gets a pack of its own, built as a stream so memory
 * stays flat for a blob of any size. The pack's name (sha256 of the whole file) must be known
 * before the upload's rename, so it takes two passes:
 *
 * - raw (a 1 MiB sample does not compress by 10%): pass 1 reads the blob (verified against its
 *   digest) to hash the pack; pass 2 streams blob + trailer to the backend.
 * - zstd: pass 1 compresses into a temp file under the store's ingest/ (hashing as it writes; the
 *   store's own cleanup removes it if we die); pass 2 uploads that file.
 *
 * Pass 2 re-hashes what it sends and fails before the last bytes (the trailer) if the pack would not
 * match its name, so the backend's put never renames a pack whose bytes changed in between.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Compressor } from 'zstd-napi';
import { digestOfHex, type Digest } from '../core/digest.js';
import { DigestMismatchError, SizeMismatchError, fromSystemError } from '../core/errors.js';
import type { LocalContentStore } from '../content/local-store.js';
import { COMPRESSED_WRITE_BUFFER, compressor } from '../diff/compression.js';
import type { Backend } from './backend.js';
import { BlobEncoder, ZSTD_LEVEL } from './blob-encoding.js';
import { encodeTrailer, type PackEntry } from '../core/pack-format.js';
import type { PackUpload } from './pack-uploader.js';
import { packName } from './repo-layout.js';

const SAMPLE = 1024 * 1024;

async function sample(store: LocalContentStore, digest: Digest): Promise<Buffer> {
  const fh = await open(store.blobPath(digest), 'r');
  try {
    const buf = Buffer.alloc(SAMPLE);
    const { bytesRead } = await fh.read(buf, 0, SAMPLE, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Whether a big blob is worth compressing, judged on its first MiB. */
export async function compressible(store: LocalContentStore, digest: Digest): Promise<boolean> {
  const head = await sample(store, digest);
  if (!BlobEncoder.worthTrying(head)) return false;
  const packed = new Compressor();
  packed.setParameters({ compressionLevel: ZSTD_LEVEL });
  return packed.compress(head).length < head.length * 0.9;
}

/** Yields `source`, hashing it; the last chunk is held back until the hash proves the whole is `id`. */
export async function* provenChunks(source: AsyncIterable<Buffer>, id: Digest): AsyncGenerator<Buffer> {
  const h = createHash('sha256');
  let held: Buffer | undefined;
  for await (const chunk of source) {
    h.update(chunk);
    if (held) yield held;
    held = chunk;
  }
  const actual = digestOfHex(h.digest('hex'));
  if (actual !== id) throw new DigestMismatchError(id, actual, 'pack being uploaded');
  if (held) yield held;
}

async function* concat(...parts: Array<() => Iterable<Buffer> | AsyncIterable<Buffer> | Promise<AsyncIterable<Buffer>>>): AsyncGenerator<Buffer> {
  for (const part of parts) for await (const chunk of await part()) yield chunk;
}

/** Prepares the single-blob pack for `digest` (pass 1) and returns the upload (pass 2). */
export async function prepareBigBlobPack(store: LocalContentStore, backend: Backend, digest: Digest, size: number): Promise<PackUpload & { cleanup(): Promise<void> }> {
  if (await compressible(store, digest)) return prepareCompressed(store, backend, digest, size);
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of await store.reader(digest, { verify: true })) {
    h.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  if (n !== size) throw new SizeMismatchError(size, n, `blob ${digest}`);
  const entries: PackEntry[] = [{ digest, offset: 0, length: size, encoding: 'raw', rawLength: size }];
  const trailer = encodeTrailer(entries);
  h.update(trailer);
  const id = digestOfHex(h.digest('hex'));
  const total = size + trailer.length;
  // pass 2 needs no second digest check of the blob: provenChunks proves the whole pack is the one pass 1 verified
  const blob = () => createReadStream(store.blobPath(digest), { highWaterMark: 1 << 20 });
  const open = () => Readable.from(provenChunks(concat(blob, () => [trailer]), id), { objectMode: false });
  return { id, size: total, entries, rawBytes: size, put: () => backend.put(packName(id), { size: total, open }), cleanup: async () => {} };
}

async function prepareCompressed(store: LocalContentStore, backend: Backend, digest: Digest, size: number): Promise<PackUpload & { cleanup(): Promise<void> }> {
  const tmp = join(store.ingestDir, `${process.pid}-pack-${randomBytes(6).toString('hex')}`);
  const cleanup = () => rm(tmp, { force: true });
  try {
    const h = createHash('sha256');
    const fh = await open(tmp, 'wx', 0o600);
    let stored = 0;
    try {
      const sink = new Writable({
        highWaterMark: COMPRESSED_WRITE_BUFFER,
        write(chunk: Buffer, _enc, cb) {
          h.update(chunk);
          stored += chunk.length;
          fh.write(chunk).then(() => cb(), cb);
        },
      });
      await pipeline(await store.reader(digest, { verify: true }), compressor('zstd', ZSTD_LEVEL), sink);
      const entries: PackEntry[] = [{ digest, offset: 0, length: stored, encoding: 'zstd', rawLength: size }];
      const trailer = encodeTrailer(entries);
      h.update(trailer);
      await fh.write(trailer);
      const id = digestOfHex(h.digest('hex'));
      const total = (await stat(tmp)).size;
      const openTmp = () => Readable.from(provenChunks(createReadStream(tmp, { highWaterMark: 1 << 20 }), id), { objectMode: false });
      return { id, size: total, entries, rawBytes: size, put: () => backend.put(packName(id), { size: total, open: openTmp }), cleanup };
    } finally {
      await fh.close();
    }
  } catch (err) {
    await cleanup();
    throw fromSystemError(err, 'compressing a big blob');
  }
}
