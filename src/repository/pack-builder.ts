/**
 * Builds one pack in memory: stored blobs are appended back to back and hashed as they come; seal()
 * adds the trailer and gives the pack its name (the sha256 of the whole file). A pack is sealed
 * once it reaches the target size, so memory per pack stays near PACK_TARGET; blobs that would not
 * fit in a pack of that size get a pack of their own elsewhere (big-blob-pack.ts).
 */
import { createHash, type Hash } from 'node:crypto';
import { digestOfHex, type Digest } from '../core/digest.js';
import { encodeTrailer, type BlobEncoding, type PackEntry } from './pack-format.js';

/** Packs are sealed once they hold this many bytes. */
export const PACK_TARGET = 16 * 1024 * 1024;

export interface SealedPack {
  id: Digest;
  bytes: Buffer;
  entries: PackEntry[];
  /** Decoded bytes of the blobs inside (for reports). */
  rawBytes: number;
}

export class PackBuilder {
  private parts: Buffer[] = [];
  private entries: PackEntry[] = [];
  private readonly digests = new Set<Digest>();
  private hash: Hash = createHash('sha256');
  private bytes = 0;
  private raw = 0;

  constructor(readonly target = PACK_TARGET) {}

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

  /** Appends a stored blob; a digest already in this pack is ignored. */
  add(digest: Digest, stored: Buffer, encoding: BlobEncoding, rawLength: number): void {
    if (this.digests.has(digest)) return;
    this.digests.add(digest);
    this.entries.push({ digest, offset: this.bytes, length: stored.length, encoding, rawLength });
    this.parts.push(stored);
    this.hash.update(stored);
    this.bytes += stored.length;
    this.raw += rawLength;
  }

  /** Finishes the pack and starts a new, empty one. */
  seal(): SealedPack {
    const trailer = encodeTrailer(this.entries);
    this.hash.update(trailer);
    const id = digestOfHex(this.hash.digest('hex'));
    const sealed: SealedPack = { id, bytes: Buffer.concat([...this.parts, trailer]), entries: this.entries, rawBytes: this.raw };
    this.parts = [];
    this.entries = [];
    this.digests.clear();
    this.hash = createHash('sha256');
    this.bytes = 0;
    this.raw = 0;
    return sealed;
  }
}
