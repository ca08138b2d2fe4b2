/**
 * The main thread's side of a snapshot's writes: the tree blobs written here and the sealed packs
 * of new chunks (local-pack-sink.ts) join a content DurabilityBatch, which makes them durable (one
 * syncfs, or each file's own sync for a small batch) and only then gives them their names. Every FLUSH_BLOBS blobs or FLUSH_BYTES bytes the
 * batch is flushed (so a killed snapshot keeps most of what it wrote, and the next run skips it),
 * and a new batch takes the blobs that arrive meanwhile: a batch is never added to while it flushes.
 */
import { unlinkSync } from 'node:fs';
import type { DurabilityBatch } from '../content/blob-writer.js';
import type { LocalContentStore } from '../content/local-store.js';
import { blobExists, stageBlob, type StagedBlob } from './blob-files.js';
import { sha256Of } from './chunk-codec.js';
import type { Digest } from '../core/digest.js';

export const FLUSH_BLOBS = 4096;
export const FLUSH_BYTES = 256 * 1024 * 1024;

export class BlobBatcher {
  /** Blobs and stored bytes this snapshot added to the store. */
  readonly added = { blobs: 0, bytes: 0 };
  private batch: DurabilityBatch;
  private pending = 0;
  private pendingBytes = 0;
  private flushing: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<DurabilityBatch>();

  /** `presync` writes the data back before a flush's syncfs (a worker's syncfs), so the flush's own is short. */
  constructor(
    private readonly content: LocalContentStore,
    private readonly presync: () => Promise<void> = async () => {},
  ) {
    this.batch = content.newBatch();
  }

  /** Takes a blob staged in ingest/; a duplicate of one already pending is dropped. */
  add(s: StagedBlob): void {
    if (!this.batch.add(s.digest, s.tmp, s.size)) {
      unlinkSync(s.tmp);
      return;
    }
    this.added.blobs++;
    this.added.bytes += s.size;
    this.pending++;
    this.pendingBytes += s.size;
    if (this.pending >= FLUSH_BLOBS || this.pendingBytes >= FLUSH_BYTES) this.rotate();
  }

  /** Whether a blob is pending: in the open batch, or in one being flushed (not yet renamed). */
  has(digest: Digest): boolean {
    if (this.batch.has(digest)) return true;
    for (const b of this.inFlight) if (b.has(digest)) return true;
    return false;
  }

  /** A file that is not a blob (a sealed pack), named at `final` by the batch's flush; not counted in `added`. */
  addFile(tmp: string, final: string, size: number, named: () => void): void {
    this.batch.addFile(tmp, final, named);
    this.pending++;
    this.pendingBytes += size;
    if (this.pending >= FLUSH_BLOBS || this.pendingBytes >= FLUSH_BYTES) this.rotate();
  }

  /** Stores a document blob (a tree) written here on the main thread. */
  blob(bytes: Uint8Array): { digest: Digest; size: number } {
    const digest = sha256Of(bytes);
    if (!this.batch.has(digest) && !blobExists(this.content, digest, bytes.byteLength)) this.add(stageBlob(this.content, digest, bytes));
    return { digest, size: bytes.byteLength };
  }

  private rotate(): void {
    const full = this.batch;
    this.batch = this.content.newBatch();
    this.pending = 0;
    this.pendingBytes = 0;
    this.inFlight.add(full);
    const next = this.flushing.then(async () => {
      await full.flush(this.presync);
      this.inFlight.delete(full);
    });
    next.catch(() => undefined); // handled by whoever awaits flush() or discard()
    this.flushing = next;
  }

  /** Makes every blob added so far durable and visible. */
  async flush(): Promise<void> {
    this.rotate();
    await this.flushing;
  }

  /** Throws away blobs not yet flushed (a failed snapshot; flushed ones are left for GC). */
  async discard(): Promise<void> {
    await this.flushing.catch(() => undefined);
    for (const b of this.inFlight) await b.discard(); // a flush that failed
    this.inFlight.clear();
    await this.batch.discard();
  }
}
