/**
 * Uploads sealed packs with at most `concurrency` in flight (submit() waits for a free slot, which
 * is the backpressure that keeps a push's memory flat), and writes index files for what arrived:
 * every `indexEvery` packs and at finish(). So the index never names a pack before it is whole, and
 * a push cut off mid-way loses at most the index of its last few packs, which the next push adopts.
 */
import type { Digest } from '../core/digest.js';
import type { Backend } from './backend.js';
import type { PackRecord } from './index-format.js';
import type { PackEntry } from '../core/pack-format.js';
import type { SealedPack } from './pack-builder.js';
import { writeIndexFiles, type RepoIndex } from './repo-index.js';
import { packName } from './repo-layout.js';
import { Semaphore } from '../core/semaphore.js';

export interface UploadedPack {
  id: Digest;
  size: number;
  blobs: number;
  rawBytes: number;
}

export interface PackUpload {
  id: Digest;
  size: number;
  entries: PackEntry[];
  rawBytes: number;
  /** Performs the backend put (of bytes in memory, or of a stream). */
  put(): Promise<void>;
}

export interface UploaderOptions {
  concurrency?: number;
  /** Write an index file after this many packs. Default 32 (~512 MiB). */
  indexEvery?: number;
  onPack?: (pack: UploadedPack) => void;
  /** Keep every pack's index record in `records` (prune writes them back). A backup does not: one entry per blob, for the whole run. */
  keepRecords?: boolean;
}

export class PackUploader {
  readonly uploaded: UploadedPack[] = [];
  /** With keepRecords: the index records of every pack uploaded, in order of arrival. */
  readonly records: PackRecord[] = [];
  private readonly slots: Semaphore;
  private readonly running = new Set<Promise<void>>();
  private pending: PackRecord[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private failure: { err: unknown } | undefined;

  constructor(private readonly backend: Backend, private readonly index: RepoIndex, private readonly opts: UploaderOptions = {}) {
    this.slots = new Semaphore(opts.concurrency ?? 4);
  }

  get storedBytes(): number {
    return this.uploaded.reduce((n, p) => n + p.size, 0);
  }

  private check(): void {
    if (this.failure) throw this.failure.err;
  }

  /** Resolves once an upload slot is free: producers wait here so sealed packs do not pile up in memory. */
  async room(): Promise<void> {
    this.check();
    await this.slots.room();
  }

  /** Starts an upload once a slot is free; rejects if an earlier upload failed. */
  async submit(upload: PackUpload): Promise<void> {
    this.check();
    const release = await this.slots.acquire();
    if (this.failure) {
      release();
      throw this.failure.err;
    }
    const p = (async () => {
      try {
        await upload.put();
        this.done(upload);
      } catch (err) {
        this.failure ??= { err };
      } finally {
        release();
      }
    })();
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
  }

  submitSealed(sealed: SealedPack): Promise<void> {
    return this.submit({ id: sealed.id, size: sealed.bytes.length, entries: sealed.entries, rawBytes: sealed.rawBytes, put: () => this.backend.put(packName(sealed.id), sealed.bytes) });
  }

  private done(upload: PackUpload): void {
    const record: PackRecord = { pack: upload.id, size: upload.size, blobs: upload.entries };
    this.index.addPack(record);
    this.pending.push(record);
    if (this.opts.keepRecords) this.records.push(record);
    const info = { id: upload.id, size: upload.size, blobs: upload.entries.length, rawBytes: upload.rawBytes };
    this.uploaded.push(info);
    this.opts.onPack?.(info);
    if (this.pending.length >= (this.opts.indexEvery ?? 32)) void this.flush().catch((err: unknown) => (this.failure ??= { err }));
  }

  /** Writes an index file for every pack uploaded since the last flush. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const records = this.pending;
      this.pending = [];
      if (records.length) await writeIndexFiles(this.backend, records);
    });
    return this.flushing;
  }

  /** Waits for every upload, then writes the last index file; rejects with the first failure. */
  async finish(): Promise<void> {
    while (this.running.size) await Promise.all(this.running);
    this.check();
    await this.flush();
    this.check();
  }

  /** After a failure elsewhere: lets running uploads settle and indexes what arrived, best effort. */
  async abandon(): Promise<void> {
    while (this.running.size) await Promise.allSettled(this.running);
    await this.flush().catch(() => undefined);
  }
}
