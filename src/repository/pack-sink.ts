/**
 * Packs straight from memory: the repository end of a snapshot that streams its blobs into a
 * repository (a backup; volumes/blob-sink.ts is the seam, ops/ connects the two), and the packer
 * of every push. Each blob the index lacks is copied into the current pack (as it is, for blobs
 * already in their stored form; encoded as blob-encoding.ts says for plain ones), and every full
 * pack is uploaded while the next one fills (pack-uploader.ts: at most `concurrency` in flight,
 * index files only after their packs).
 *
 *   new PackSink(backend, index) → has / put / refer, many times → finish() (last pack, index)
 *                                                              or abandon() (after a failure)
 *
 * `put` waits while every upload slot is busy: that wait is what holds a fast reader back, so
 * memory stays near (concurrency + 1) packs for any amount of data. The digests come from whoever
 * computed them over these very bytes (the snapshot's workers), and each pack is named by the hash
 * of its bytes, so nothing is hashed twice; the index learns a blob only once its pack arrived.
 * The caller holds a repository lock (shared) until its ref is written.
 */
import type { Digest } from '../core/digest.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import type { Backend } from './backend.js';
import { BlobEncoder } from './blob-encoding.js';
import { PACK_TARGET, PackBuilder } from './pack-builder.js';
import { PackUploader, type PackUpload, type UploadedPack } from './pack-uploader.js';
import type { RepoIndex } from './repo-index.js';
import { ParkedPacks } from './parked-packs.js';
import { packName } from './repo-layout.js';

export interface PackSinkOptions {
  /** Packs uploaded at once. Default 2 (with the one filling, memory is three packs). */
  concurrency?: number;
  /** Pack size target. Default PACK_TARGET (16 MiB). */
  packTarget?: number;
  /** Called after each pack arrives whole. */
  onPack?: (pack: UploadedPack) => void;
  /** Called with the stored bytes of each blob packed (progress). */
  onBlob?: (bytes: number) => void;
  /** Where packs parked during a hold() are spooled (the store's ingest/); without it they stay in memory. */
  spoolDir?: string;
}

export interface PackSinkReport {
  /** Blobs packed, their decoded bytes, the pack bytes that went over the wire, and packs. */
  blobs: number;
  bytes: number;
  storedBytes: number;
  packs: number;
}

export class PackSink {
  /** Every digest given to this sink (packed, or in the pack still filling). */
  readonly taken = new Set<Digest>();
  private readonly builder: PackBuilder;
  private readonly uploader: PackUploader;
  private readonly encoder = new BlobEncoder();
  /** Buffers of packs uploaded, for the next packs: memory is a few packs, never garbage to find. */
  private readonly spare: Buffer[] = [];
  /** Set while uploads must wait (hold()): sealed packs are parked. */
  private parked: ParkedPacks | undefined;
  /** The uploads of the packs parked during the last hold, being submitted. */
  private unparking: Promise<void> = Promise.resolve();
  /**
   * Every blob named through refer(): the closure of what went in (see lacking(), named()). A plain
   * chunk (nearly all of them) by its size alone, anything else by its descriptor: one small entry
   * per blob of a backup.
   */
  private readonly referred = new Map<Digest, number | Descriptor>();

  constructor(private readonly backend: Backend, private readonly index: RepoIndex, private readonly opts: PackSinkOptions = {}) {
    this.builder = new PackBuilder(opts.packTarget ?? PACK_TARGET, (bytes) => this.buffer(bytes));
    this.uploader = new PackUploader(backend, index, { concurrency: opts.concurrency ?? 2, ...(opts.onPack ? { onPack: opts.onPack } : {}) });
  }

  /** Whether the repository has the blob, or this sink was given it. */
  has(digest: Digest): boolean {
    return this.taken.has(digest) || this.index.has(digest);
  }

  /** Whether this sink was given the blob (put, packed or still filling). */
  took(digest: Digest): boolean {
    return this.taken.has(digest);
  }

  /** Notes blobs that what went in names (whether or not they were put here). */
  refer(blobs: readonly Descriptor[]): void {
    for (const d of blobs) this.referred.set(d.digest, d.mediaType === MediaType.LifeboatChunk && !d.annotations && !d.urls ? d.size : d);
  }

  /** Blobs referred to that neither the repository nor this sink has: the caller sends them another way. */
  lacking(): Descriptor[] {
    const out: Descriptor[] = [];
    for (const [digest, d] of this.referred) if (!this.has(digest)) out.push(typeof d === 'number' ? { mediaType: MediaType.LifeboatChunk, digest, size: d } : d);
    return out;
  }

  /** Whether what went in names this blob (refer() was told about it). */
  refers(digest: Digest): boolean {
    return this.referred.has(digest);
  }

  /** The blobs referred to, and those of them the repository had without this sink (what a push would report as skipped). */
  named(): { blobs: number; bytes: number; skipped: { blobs: number; bytes: number } } {
    const out = { blobs: 0, bytes: 0, skipped: { blobs: 0, bytes: 0 } };
    for (const [digest, d] of this.referred) {
      const size = typeof d === 'number' ? d : d.size;
      out.blobs++;
      out.bytes += size;
      if (!this.taken.has(digest) && this.index.has(digest)) {
        out.skipped.blobs++;
        out.skipped.bytes += size;
      }
    }
    return out;
  }

  /** Resolves once an upload slot has been free: callers reading blobs wait here before each read. */
  room(): Promise<void> {
    return this.uploader.room();
  }

  /** Uploads a pack made elsewhere (a big blob's own pack) through the same slots and index. */
  upload(upload: PackUpload): Promise<void> {
    return this.uploader.submit(upload);
  }

  /**
   * Packs a blob as it is (bytes copied): a snapshot's chunks and trees are already compressed
   * where that pays (volumes/chunk-codec.ts, tree-blob.ts). Resolves once it is in a pack, waiting
   * for an upload slot when a pack is full (never during a hold).
   */
  put(digest: Digest, bytes: Uint8Array): Promise<void> {
    return this.add(digest, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), false);
  }

  /** Like put, for a blob in its plain form: encoded first, as a push encodes (zstd when it pays). */
  pack(digest: Digest, data: Buffer): Promise<void> {
    return this.add(digest, data, true);
  }

  private async add(digest: Digest, data: Buffer, encode: boolean): Promise<void> {
    if (this.has(digest)) return;
    this.taken.add(digest);
    const { stored, encoding } = encode ? this.encoder.encode(data) : { stored: data, encoding: 'raw' as const };
    this.builder.add(digest, stored, encoding, data.length);
    this.opts.onBlob?.(data.length);
    if (this.builder.full) await this.ship();
  }

  /**
   * From now until release(), nothing is uploaded and put() never waits for an upload: full packs
   * are parked (parked-packs.ts). A backup calls it while it holds its container.
   */
  hold(): void {
    this.parked ??= new ParkedPacks(this.backend, this.opts.spoolDir, (b) => this.recycle(b));
  }

  /** Ends a hold: the parked packs are uploaded (in the background; finish() waits for them). */
  release(): void {
    const parked = this.parked;
    this.parked = undefined;
    if (!parked?.size) return;
    const next = this.unparking.then(async () => {
      for (const upload of parked.take()) await this.uploader.submit(upload);
    });
    next.catch(() => undefined); // finish() and abandon() await it
    this.unparking = next;
  }

  /** Uploads the last pack and waits for every upload and index file; rejects with the first failure. */
  async finish(): Promise<void> {
    this.release();
    await this.unparking;
    if (this.builder.count > 0) await this.ship();
    await this.uploader.finish();
  }

  /** After a failure: lets running uploads settle and indexes what arrived (the next backup adopts nothing twice). */
  async abandon(): Promise<void> {
    await this.parked?.discard();
    this.parked = undefined;
    await this.unparking.catch(() => undefined);
    await this.uploader.abandon();
  }

  /** Seals the pack being filled and starts its upload once a slot is free (or parks it); its buffer comes back after. */
  private async ship(): Promise<void> {
    const sealed = this.builder.seal();
    if (this.parked) return this.parked.park(sealed);
    const put = async () => {
      await this.backend.put(packName(sealed.id), sealed.bytes);
      this.recycle(sealed.bytes); // not after a failure: a cut transfer may still hold it
    };
    return this.uploader.submit({ id: sealed.id, size: sealed.bytes.length, entries: sealed.entries, rawBytes: sealed.rawBytes, put });
  }

  private recycle(bytes: Buffer): void {
    if (this.spare.length > 0) return; // one kept for the next pack: the rest is the GC's
    this.spare.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.buffer.byteLength - bytes.byteOffset));
  }

  private buffer(bytes: number): Buffer {
    const b = this.spare.pop();
    return b && b.length >= bytes ? b : Buffer.allocUnsafeSlow(bytes);
  }

  /** What went into the repository through this sink so far. */
  get report(): PackSinkReport {
    const up = this.uploader.uploaded;
    return { blobs: up.reduce((n, p) => n + p.blobs, 0), bytes: up.reduce((n, p) => n + p.rawBytes, 0), storedBytes: this.uploader.storedBytes, packs: up.length };
  }
}
