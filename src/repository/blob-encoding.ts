/**
 * How a blob is stored inside a pack, and how it comes back. A blob is zstd-compressed when that
 * saves at least 1/32 of it; bytes that already look compressed (zstd, gzip, xz, bzip2 magic) are
 * not tried, which skips most volume chunks (stored compressed locally) and compressed layers.
 * Its identity never changes: the digest is always that of the decoded bytes, and every decode
 * checks length and digest, so a damaged or tampered pack can never hand back wrong bytes.
 *
 * Small blobs are encoded and decoded in memory (`encodeBlob` / `decodeBlob`). Blobs that have a
 * pack of their own can be big, and stream (`decodeStream`, with the backpressure-safe zstd decoder).
 */
import { createHash } from 'node:crypto';
import { PassThrough, pipeline, type Readable } from 'node:stream';
import zstd from 'zstd-napi/binding.js';
import { digestOfHex, type Digest } from '../core/digest.js';
import { DigestMismatchError, IntegrityError, SizeMismatchError } from '../core/errors.js';
import { VerifyingStream } from '../content/verify.js';
import { zstdDecompress } from '../diff/decompress-streams.js';
import type { BlobEncoding, PackEntry } from '../core/pack-format.js';

export const ZSTD_LEVEL = 3;
/** Decoded size up to which a blob is decoded in memory. */
export const MEMORY_DECODE_LIMIT = 32 * 1024 * 1024;

const MAGICS = [
  Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), // zstd
  Buffer.from([0x1f, 0x8b]), // gzip
  Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), // xz
  Buffer.from('BZh', 'latin1'),
];

export function looksCompressed(data: Uint8Array): boolean {
  const head = Buffer.from(data.buffer, data.byteOffset, Math.min(8, data.byteLength));
  return MAGICS.some((m) => head.length >= m.length && head.subarray(0, m.length).equals(m));
}

export function sha256Of(data: Uint8Array): Digest {
  return digestOfHex(createHash('sha256').update(data).digest('hex'));
}

/**
 * One compressor per packer: the zstd context and its output and check buffers are reused for every
 * blob (a push or a backup encodes tens of thousands of them; fresh buffers each time would leave
 * the garbage collector hundreds of MiB to find), so what encode() returns is valid until its next
 * call: callers copy it (PackBuilder.add does).
 */
export class BlobEncoder {
  private readonly cctx = new zstd.CCtx();
  private out = Buffer.alloc(0);
  private back = Buffer.alloc(0);

  constructor(level = ZSTD_LEVEL) {
    this.cctx.setParameter(zstd.CParameter.compressionLevel, level);
  }

  /** Whether compressing this blob is worth trying (also used on a sample of big blobs). */
  static worthTrying(data: Uint8Array): boolean {
    return data.byteLength >= 64 && !looksCompressed(data);
  }

  /** The stored form: zstd when it saves ≥ 1/32, checked by decoding it again before it is trusted. */
  encode(data: Buffer): { stored: Buffer; encoding: BlobEncoding } {
    if (!BlobEncoder.worthTrying(data)) return { stored: data, encoding: 'raw' };
    const bound = zstd.compressBound(data.length);
    if (this.out.length < bound) this.out = Buffer.allocUnsafeSlow(bound);
    const packed = this.out.subarray(0, this.cctx.compress2(this.out, data));
    if (packed.length > data.length - (data.length >> 5)) return { stored: data, encoding: 'raw' };
    // restic's verifyUnpacked: catch a compressor (or RAM) fault before it reaches the repository
    if (this.back.length < data.length) this.back = Buffer.allocUnsafeSlow(data.length);
    const back = this.back.subarray(0, data.length);
    if (zstd.decompress(back, packed) !== data.length || !back.equals(data)) {
      throw new IntegrityError('zstd round trip of a blob did not give its bytes back', { code: 'ENCODE_FAILED' });
    }
    return { stored: packed, encoding: 'zstd' };
  }
}

/** Decodes a stored blob in memory and proves it is the blob the entry names. */
export function decodeBlob(stored: Buffer, entry: Pick<PackEntry, 'digest' | 'encoding' | 'rawLength' | 'length'>): Buffer {
  if (stored.length !== entry.length) throw new SizeMismatchError(entry.length, stored.length, `stored blob ${entry.digest}`);
  let data = stored;
  if (entry.encoding === 'zstd') {
    data = Buffer.allocUnsafe(entry.rawLength);
    let n: number;
    try {
      n = zstd.decompress(data, stored);
    } catch (err) {
      throw new IntegrityError(`blob ${entry.digest} does not decompress: ${(err as Error).message}`, { code: 'BAD_BLOB', cause: err });
    }
    if (n !== entry.rawLength) throw new SizeMismatchError(entry.rawLength, n, `decompressed blob ${entry.digest}`);
  }
  const actual = sha256Of(data);
  if (actual !== entry.digest) throw new DigestMismatchError(entry.digest, actual, 'repository blob');
  return data;
}

/** Decodes a stored blob as a stream that fails at the end unless size and digest are right. */
export function decodeStream(stored: Readable, entry: Pick<PackEntry, 'digest' | 'encoding' | 'rawLength'>): Readable {
  const verifier = new VerifyingStream({ digest: entry.digest, size: entry.rawLength });
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  const stages: Array<NodeJS.ReadableStream | NodeJS.ReadWriteStream> = entry.encoding === 'zstd' ? [stored, zstdDecompress(), verifier] : [stored, verifier];
  pipeline([...stages, out] as unknown as [Readable, PassThrough], (err) => {
    if (err) out.destroy(err);
  });
  return out;
}
