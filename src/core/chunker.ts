/**
 * Content-defined chunking (FastCDC, Xia et al. 2016): cut points depend on the bytes, not on their
 * offsets, so an insertion or a changed block in a big file moves only the chunks around it and
 * the rest dedupe against the previous snapshot. Pure: no I/O; callers feed it buffers.
 *
 * A 32-bit gear hash rolls over the data (h = 2h + G[byte]); bit k of h depends on the last k+1
 * bytes, so the masks test the high bits (a 32-byte window). Normalized chunking: below the
 * average size a stricter mask (more bits) makes cuts rare, above it a looser one makes them
 * likely, which narrows the size spread. Nothing is hashed in the first `min` bytes of a chunk.
 * The gear table is derived from a fixed seed, so every Lifeboat cuts the same data the same way
 * (identical data in two volumes, or on two hosts, becomes identical chunks).
 *
 * Speed: the inner loop is int32 arithmetic on a Int32Array, ~700 MB/s in V8 on one core.
 */
import { createHash } from 'node:crypto';

export interface ChunkerParams {
  min: number;
  avg: number;
  max: number;
}

/**
 * 128 KiB / 512 KiB / 2 MiB. A changed region costs the chunks it touches plus, after it, the
 * chunks it takes for the cuts to fall back onto the old ones: about one chunk for a small write,
 * so the average size is what a small edit costs. Measured on 100 random 32 MiB files with fixed
 * seeds, against the 256 KiB / 1 MiB / 4 MiB used before (restic's 512 KiB / 1 MiB / 8 MiB did no
 * better): a 4 KiB overwrite or a 100-byte insertion stored 0.6 MiB of new chunks instead of 1.25,
 * a 200 KB overwrite 1.14 instead of 1.79, a 2 MB one 3.3 instead of 4.4. The price is twice the
 * chunks: ~150 bytes of tree and index per chunk, 26 KiB per 100 MiB of data. Normalization level
 * 2 keeps the sizes tight, which is what small edits need (level 1 only helps big rewrites).
 * Changing these moves every cut point: data chunked before is stored again once, when it changes.
 */
export const DEFAULT_CHUNKER: ChunkerParams = { min: 128 * 1024, avg: 512 * 1024, max: 2 * 1024 * 1024 };

function gearTable(): Int32Array {
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) table[i] = createHash('sha256').update(`lifeboat-gear-v1:${i}`).digest().readInt32LE(0);
  return table;
}

const GEAR = gearTable();

/** A mask of `bits` ones in the high end of a 32-bit word, as an int32. */
function highMask(bits: number): number {
  return (~0 << (32 - bits)) | 0;
}

export class Chunker {
  readonly params: ChunkerParams;
  private readonly maskS: number;
  private readonly maskL: number;

  constructor(params: ChunkerParams = DEFAULT_CHUNKER) {
    const { min, avg, max } = params;
    if (!(min > 0 && min <= avg && avg <= max) || !Number.isInteger(Math.log2(avg))) {
      throw new RangeError(`invalid chunker sizes min ${min} avg ${avg} max ${max} (need 0 < min <= avg <= max, avg a power of two)`);
    }
    this.params = params;
    const bits = Math.log2(avg);
    this.maskS = highMask(bits + 2);
    this.maskL = highMask(bits - 2);
  }

  /**
   * The length of the next chunk starting at `buf[start]`. `end` is where valid data stops; `eof`
   * says no more data follows it. Returns 0 when more data is needed to decide (fewer than `max`
   * bytes available and not at EOF).
   */
  cut(buf: Uint8Array, start: number, end: number, eof: boolean): number {
    const { min, avg, max } = this.params;
    const available = end - start;
    if (available <= 0) return 0;
    if (available <= min) return eof ? available : 0;
    const limit = Math.min(available, max);
    const normal = Math.min(limit, avg);
    const maskS = this.maskS;
    const maskL = this.maskL;
    let h = 0;
    let i = start + min;
    const stopS = start + normal;
    for (; i < stopS; i++) {
      h = ((h << 1) + GEAR[buf[i]!]!) | 0;
      if ((h & maskS) === 0) return i - start + 1;
    }
    const stopL = start + limit;
    for (; i < stopL; i++) {
      h = ((h << 1) + GEAR[buf[i]!]!) | 0;
      if ((h & maskL) === 0) return i - start + 1;
    }
    if (limit === max || eof) return limit;
    return 0;
  }

  /** Splits a whole buffer (tests and small inputs); returns the chunk lengths. */
  split(buf: Uint8Array): number[] {
    const out: number[] = [];
    for (let off = 0; off < buf.length; ) {
      const n = this.cut(buf, off, buf.length, true);
      out.push(n);
      off += n;
    }
    return out;
  }
}
