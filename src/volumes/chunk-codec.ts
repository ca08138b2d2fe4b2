/**
 * One chunk of file data ⇄ what the tree records and what the store keeps.
 *
 * Encoding: all-zero chunks are holes (neither stored nor written on restore: sparse files stay
 * sparse). Otherwise the chunk is hashed (its raw digest) and compressed with zstd at a fixed level
 * (big chunks only when samples of them compress), and the compressed form is kept when it saves
 * at least 1/32 of the size. Both steps are deterministic, so identical data in any file of any
 * volume gives the identical stored blob, named by the sha256 of the stored bytes.
 *
 * Decoding checks the sizes and, for compressed chunks, the decompressed bytes against the raw
 * digest the tree records. A ChunkCodec (one per worker thread) compresses and decompresses into
 * buffers it reuses, so the hot paths allocate nothing per chunk and memory stays flat.
 */
import { createHash } from 'node:crypto';
import zstd from 'zstd-napi/binding.js';
import { DEFAULT_CHUNKER } from '../core/chunker.js';
import { digestOfHex, type Digest } from '../core/digest.js';
import { DigestMismatchError, IntegrityError, SizeMismatchError } from '../core/errors.js';
import { isHole, type ChunkRef, type ContentRef } from '../core/volume-snapshot-format.js';

export const ZSTD_LEVEL = 3;
const SAMPLE = 16 * 1024;
const ZEROS = Buffer.alloc(1024 * 1024);

export function isAllZero(data: Uint8Array): boolean {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  for (let off = 0; off < buf.length; off += ZEROS.length) {
    const n = Math.min(ZEROS.length, buf.length - off);
    if (!buf.subarray(off, off + n).equals(ZEROS.subarray(0, n))) return false;
  }
  return true;
}

export function sha256Of(data: Uint8Array): Digest {
  return digestOfHex(createHash('sha256').update(data).digest('hex'));
}

export interface EncodedChunk {
  ref: ContentRef;
  /** The bytes to store under ref.digest (absent for holes and known chunks); valid until the codec's next call. */
  stored?: Uint8Array;
}

/** A file's previous chunks by raw digest (the digest itself when stored uncompressed). */
export function knownChunks(refs: readonly ContentRef[] | undefined): Map<Digest, ChunkRef> | undefined {
  if (!refs?.length) return undefined;
  const out = new Map<Digest, ChunkRef>();
  for (const c of refs) if (!isHole(c)) out.set(c.raw ?? c.digest, c);
  return out.size ? out : undefined;
}

export class ChunkCodec {
  private readonly cctx = new zstd.CCtx();
  private readonly dctx = new zstd.DCtx();
  private out: Buffer;
  private raw: Buffer;

  constructor(maxChunk = DEFAULT_CHUNKER.max) {
    this.cctx.setParameter(zstd.CParameter.compressionLevel, ZSTD_LEVEL);
    this.out = Buffer.allocUnsafe(zstd.compressBound(maxChunk));
    this.raw = Buffer.allocUnsafe(maxChunk);
  }

  private compress(data: Uint8Array): Buffer {
    if (this.out.length < zstd.compressBound(data.byteLength)) this.out = Buffer.allocUnsafe(zstd.compressBound(data.byteLength));
    return this.out.subarray(0, this.cctx.compress2(this.out, data));
  }

  /**
   * Whether a big chunk is worth compressing: three 16 KiB samples (start, middle, end) must shrink
   * by 1/16 (random data, media and archives do not, and skip the full compression).
   */
  private worthCompressing(data: Uint8Array): boolean {
    if (data.byteLength < 8 * SAMPLE) return true;
    const mid = (data.byteLength >> 1) - (SAMPLE >> 1);
    let packed = 0;
    for (const at of [0, mid, data.byteLength - SAMPLE]) packed += this.compress(data.subarray(at, at + SAMPLE)).length;
    return packed < 3 * SAMPLE - ((3 * SAMPLE) >> 4);
  }

  /**
   * `known` (raw digest → ref) holds the chunks of the file's previous version: a chunk found there
   * is the same bytes, so its ref is reused as it is (no compression) and nothing is to be stored
   * (`stored` absent), exactly as if it had been encoded again: encoding is deterministic.
   */
  encode(data: Uint8Array, known?: ReadonlyMap<Digest, ChunkRef>): EncodedChunk {
    if (isAllZero(data)) return { ref: { hole: data.byteLength } };
    const raw = sha256Of(data);
    const same = known?.get(raw);
    if (same && same.length === data.byteLength) return { ref: same };
    const packed = this.worthCompressing(data) ? this.compress(data) : undefined;
    if (packed && packed.length < data.byteLength - (data.byteLength >> 5)) {
      return { ref: { digest: sha256Of(packed), size: packed.length, length: data.byteLength, raw, zstd: true }, stored: packed };
    }
    return { ref: { digest: raw, size: data.byteLength, length: data.byteLength }, stored: data };
  }

  /** Like decodeChunk, into a buffer this codec reuses (valid until its next call). */
  decode(stored: Buffer, ref: ChunkRef): Buffer {
    if (!ref.zstd) return checkRaw(stored, ref);
    if (this.raw.length < ref.length) this.raw = Buffer.allocUnsafe(ref.length);
    return checkDecompressed(stored, ref, () => this.raw.subarray(0, this.dctx.decompress(this.raw.subarray(0, ref.length), stored)));
  }
}

function checkRaw(stored: Buffer, ref: ChunkRef): Buffer {
  if (stored.length !== ref.size) throw new SizeMismatchError(ref.size, stored.length, `chunk ${ref.digest}`);
  if (stored.length !== ref.length) throw new SizeMismatchError(ref.length, stored.length, `chunk ${ref.digest}`);
  return stored;
}

function checkDecompressed(stored: Buffer, ref: ChunkRef, inflate: () => Buffer): Buffer {
  if (stored.length !== ref.size) throw new SizeMismatchError(ref.size, stored.length, `chunk ${ref.digest}`);
  let raw: Buffer;
  try {
    raw = inflate();
  } catch (err) {
    throw new IntegrityError(`chunk ${ref.digest} does not decompress: ${(err as Error).message}`, { code: 'CORRUPT_CHUNK', data: { digest: ref.digest } });
  }
  if (raw.length !== ref.length) throw new SizeMismatchError(ref.length, raw.length, `decompressed chunk ${ref.digest}`);
  const actual = sha256Of(raw);
  if (actual !== ref.raw) throw new DigestMismatchError(ref.raw ?? '(none)', actual, `decompressed chunk ${ref.digest}`);
  return raw;
}

/**
 * Stored bytes (already verified against ref.digest by the caller) → the chunk's raw bytes in a
 * buffer of their own, checked against the sizes and the raw digest the tree records.
 */
export function decodeChunk(stored: Buffer, ref: ChunkRef): Buffer {
  if (!ref.zstd) return checkRaw(stored, ref);
  return checkDecompressed(stored, ref, () => {
    const out = Buffer.allocUnsafe(ref.length);
    return out.subarray(0, zstd.decompress(out, stored));
  });
}
