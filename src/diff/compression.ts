/**
 * Layer compression: sniffing, decompressing and compressing, in-process only (zlib and zstd-napi;
 * never an external gzip/xz/unpigz binary, see formats.md F.41).
 *
 * Media types say what a blob should be; the bytes say what it is. `autoDecompress` follows the
 * bytes (as Docker load and containerd's importer do); callers that trust a descriptor pass the
 * compression explicitly and a mismatch then fails in the decompressor or in the tar reader.
 */
import { availableParallelism } from 'node:os';
import { PassThrough, Readable, pipeline, type Duplex } from 'node:stream';
import { createGzip } from 'node:zlib';
import { CompressStream } from 'zstd-napi';
import type { Compression } from '../core/media-types.js';
import { GZIP_CHUNK, GZIP_DEFAULT_LEVEL, strictGunzip, zstdDecompress } from './decompress-streams.js';

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
/** Bytes `sniffCompression` needs to decide. */
export const SNIFF_BYTES = 4;

/** What the first bytes of a blob say it is. A plain tar (or anything else) is 'none'. */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= GZIP_MAGIC.length && head.subarray(0, GZIP_MAGIC.length).equals(GZIP_MAGIC)) return 'gzip';
  if (head.length >= ZSTD_MAGIC.length && head.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/**
 * A stream that undoes `c`. gzip: concatenated members accepted; truncation, a bad CRC/ISIZE or
 * trailing bytes fail. zstd: truncated frames and trailing garbage fail; memory stays bounded.
 */
export function decompressor(c: Compression): Duplex {
  switch (c) {
    case 'gzip':
      return strictGunzip();
    case 'zstd':
      return zstdDecompress();
    case 'none':
      return new PassThrough();
  }
}

/**
 * zstd's worker threads for one stream. At least one, so compression runs beside the reading and
 * hashing on the main thread (as the zstd CLI does by default), and so the output is the same on
 * every machine: zstd's frames are identical for any nbWorkers >= 1 (and a fixed job size), but
 * differ from 0's. At most 4. Jobs of 2 MiB, not level 3's default of 8: the workers' buffers then
 * cost ~50 MiB instead of ~110, at the same speed and ratio (measured on the bench's data).
 */
export const ZSTD_WORKERS = Math.max(1, Math.min(4, availableParallelism()));
const ZSTD_JOB_SIZE = 2 << 20;

/**
 * The write buffer for a file a compressing pipeline writes (save's recompressed layers, a big
 * blob's pack): at the default 16 KiB the pipeline (read, hash, zstd's threads, hash, write)
 * stalled on every write; save took ~25% longer (1.33 -> 1.06 s for 440 MB).
 */
export const COMPRESSED_WRITE_BUFFER = 4 << 20;

/** A stream that applies `c`. Levels: gzip 1-9 (default 6), zstd 1-19 (default 3). */
export function compressor(c: Compression, level?: number): Duplex {
  switch (c) {
    case 'gzip':
      return createGzip({ level: level ?? GZIP_DEFAULT_LEVEL, chunkSize: GZIP_CHUNK });
    case 'zstd':
      return new CompressStream({ nbWorkers: ZSTD_WORKERS, jobSize: ZSTD_JOB_SIZE, ...(level === undefined ? {} : { compressionLevel: level }) });
    case 'none':
      return new PassThrough();
  }
}

/**
 * Reads just enough of `source` to see its magic bytes, then returns the decompressed stream with
 * nothing lost. Errors from `source` and from the decompressor surface on the returned stream.
 */
export async function autoDecompress(source: Readable): Promise<{ compression: Compression; stream: Readable }> {
  const it = source[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let seen = 0;
  let done = false;
  while (seen < SNIFF_BYTES) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    const chunk = typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    head.push(chunk);
    seen += chunk.length;
  }
  const first = Buffer.concat(head);
  const compression = sniffCompression(first);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (first.length) yield first;
      if (done) return;
      for (let r = await it.next(); !r.done; r = await it.next()) yield typeof r.value === 'string' ? Buffer.from(r.value) : r.value;
    } finally {
      await it.return?.(); // a consumer that stops early releases (destroys) the source too
    }
  }
  const replayed = Readable.from(replay(), { objectMode: false });
  const out = decompressor(compression);
  pipeline(replayed, out, () => undefined); // errors reach `out`, which the caller reads
  return { compression, stream: out };
}
