/**
 * Builds one pack in memory: stored blobs are copied back to back into one buffer and hashed as
 * they come; seal() adds the trailer and gives the pack its name (the sha256 of the whole file). A
 * pack is sealed once it reaches the target size, so memory per pack stays near PACK_TARGET; blobs
 * that would not fit in a pack of that size get a pack of their own elsewhere (big-blob-pack.ts).
 *
 * Copying on add (rather than keeping references and concatenating at seal) means the caller's
 * buffers are free at once (a snapshot's segments, a reader's file buffer) and sealing copies
 * nothing but the trailer: the pack goes out of the buffer it was built in.
 */
import { createHash, type Hash } from 'node:crypto';
import { digestOfHex, type Digest } from '../core/digest.js';
import { encodeTrailer, type BlobEncoding, type PackEntry } from '../core/pack-format.js';

/** Packs are sealed once they hold this many bytes. */
export const PACK_TARGET = 16 * 1024 * 1024;

/** Room kept beyond the target for the blob that crosses it and for the trailer. */
const HEADROOM = 1024 * 1024;

export interface SealedPack {
  id: Digest;
  bytes: Buffer;
  entries: PackEntry[];
  /** Decoded bytes of the blobs inside (for reports). */
  rawBytes: number;
}

export class PackBuilder {
  private buf: Buffer | undefined;
  private entries: PackEntry[] = [];
  private readonly digests = new Set<Digest>();
  private hash: Hash = createHash('sha256');
  private bytes = 0;
  private raw = 0;

  /** `alloc` supplies pack buffers (a packer that recycles them after upload passes its own). */
  constructor(
    readonly target = PACK_TARGET,
    private readonly alloc: (bytes: number) => Buffer = (bytes) => Buffer.allocUnsafeSlow(bytes),
  ) {}

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.entries.length;
  }

  get full(): boolean {
    return this.bytes >= this.target;
  }

  has(digest: Digest): boolean {
    return this.digests.has(digest);
  }

  /** Appends (copies) a stored blob; a digest already in this pack is ignored. */
  add(digest: Digest, stored: Uint8Array, encoding: BlobEncoding, rawLength: number): void {
    if (this.digests.has(digest)) return;
    this.digests.add(digest);
    this.entries.push({ digest, offset: this.bytes, length: stored.byteLength, encoding, rawLength });
    this.reserve(this.bytes + stored.byteLength);
    this.buf!.set(stored, this.bytes);
    this.hash.update(stored);
    this.bytes += stored.byteLength;
    this.raw += rawLength;
  }

  /** Finishes the pack and starts a new, empty one. */
  seal(): SealedPack {
    const trailer = encodeTrailer(this.entries);
    this.hash.update(trailer);
    const id = digestOfHex(this.hash.digest('hex'));
    this.reserve(this.bytes + trailer.length);
    this.buf!.set(trailer, this.bytes);
    const sealed: SealedPack = { id, bytes: this.buf!.subarray(0, this.bytes + trailer.length), entries: this.entries, rawBytes: this.raw };
    this.buf = undefined; // the sealed pack owns it now
    this.entries = [];
    this.digests.clear();
    this.hash = createHash('sha256');
    this.bytes = 0;
    this.raw = 0;
    return sealed;
  }

  /**
   * Makes the buffer hold at least `need` bytes, keeping what it has. The first one is sized for a
   * whole pack (pages never written are never resident, so a small pack costs no more).
   */
  private reserve(need: number): void {
    if (this.buf && this.buf.length >= need) return;
    const grown = this.alloc(Math.max(need, this.buf ? 0 : this.target) + HEADROOM);
    if (this.buf) this.buf.copy(grown, 0, 0, this.bytes);
    this.buf = grown;
  }
}
