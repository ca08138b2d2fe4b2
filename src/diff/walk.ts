/**
 * Directory → layer blob in the content store: the public face of the diff side.
 *
 *   diffEntries (diff-entries.ts) → writeTar → sha256 (DiffID) → compressor → ingester writer
 *     → commit({ size }); the writer hashes what it stores, and its digest is the blob digest
 *
 * Everything streams through `pipeline()` with backpressure: memory stays flat whatever the size
 * of the tree, and a failure anywhere aborts the blob writer so nothing half-written is committed.
 */
import { createHash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Ingester } from '../content/content-store.js';
import { digestOfHex, type Digest } from '../core/digest.js';
import type { Compression } from '../core/media-types.js';
import { compressor } from './compression.js';
import { diffEntries, type DiffOptions } from './diff-entries.js';
import { writeTar, type TarWriteEntry } from './tar/tar-writer.js';

export { diffEntries, type DiffOptions } from './diff-entries.js';

export interface WriteLayerOptions extends DiffOptions {
  compression: Compression;
  /** Compression level (gzip 1-9, zstd 1-19); the library default when absent. */
  level?: number;
  signal?: AbortSignal;
}

export interface WriteLayerResult {
  /** Digest of the blob as stored (compressed bytes). */
  digest: Digest;
  /** Size of the blob as stored. */
  size: number;
  /** Digest of the uncompressed tar. */
  diffId: Digest;
  entries: number;
}

/** Blob writes are gathered into chunks of at least this size (tar headers are 512 bytes each). */
const WRITE_CHUNK = 1024 * 1024;

function hashingTransform(update: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      update(chunk);
      cb(null, chunk);
    },
  });
}

async function* rechunk(source: AsyncIterable<Buffer>, min: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= min) {
      yield parts.length === 1 ? parts[0]! : Buffer.concat(parts, size);
      parts = [];
      size = 0;
    }
  }
  if (size > 0) yield Buffer.concat(parts, size);
}

export async function writeLayer(root: string, opts: WriteLayerOptions, ingester: Ingester): Promise<WriteLayerResult> {
  let entries = 0;
  async function* counted(): AsyncGenerator<TarWriteEntry> {
    for await (const e of diffEntries(root, opts)) {
      entries++;
      yield e;
    }
  }
  const tarHash = createHash('sha256');
  let size = 0;
  const writer = await ingester.writer();
  try {
    await pipeline(
      Readable.from(writeTar(counted()), { objectMode: false }),
      hashingTransform((c) => tarHash.update(c)),
      compressor(opts.compression, opts.level),
      async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of rechunk(source, WRITE_CHUNK)) {
          size += chunk.length;
          await writer.write(chunk);
        }
      },
      ...(opts.signal ? [{ signal: opts.signal }] : []),
    );
    const diffId = digestOfHex(tarHash.digest('hex'));
    const blob = await writer.commit(opts.compression === 'none' ? { digest: diffId, size } : { size });
    return { digest: blob.digest, size: blob.size, diffId, entries };
  } catch (err) {
    await writer.abort().catch(() => undefined);
    throw err;
  }
}
