/**
 * Writes one blob of a LocalContentStore: bytes stream into a private temp file under `ingest/`
 * while they are hashed; commit() checks size and digest, fsyncs, renames to `blobs/sha256/<hex>`
 * and fsyncs the directory. In a DurabilityBatch the per-file fsyncs are replaced by one syncfs for
 * the whole batch, and the renames wait for it: thousands of small chunks cost one barrier, and
 * still no blob is visible under its name before its bytes are on disk. A small batch syncs its
 * files one by one instead (SYNC_EACH_MAX).
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { digestOfHex, hexOf, type Digest } from '../core/digest.js';
import { DigestMismatchError, SizeMismatchError, fromSystemError, isErrno } from '../core/errors.js';
import { fsyncDir, syncFiles } from '../platform/durable.js';
import { native } from '../platform/native.js';
import type { BlobInfo, BlobWriter, Expected } from './content-store.js';

export interface BlobPaths {
  ingestDir: string;
  blobsDir: string;
  blobPath(digest: Digest): string;
}

/**
 * Up to this many files a batch is made durable file by file (fdatasync each) rather than with
 * syncfs: syncfs writes back every dirty page of the filesystem, a database's or the last big
 * copy's too, so its cost is not ours to bound. An incremental snapshot's ~170 new trees: 31 ms
 * synced one by one here, against 370 ms for the syncfs that followed a 325 MB write.
 */
export const SYNC_EACH_MAX = 256;

export class DurabilityBatch {
  private readonly pending = new Map<Digest, { tmp: string; size: number }>();
  /** Other files (packs) to name after the same barrier; `named` runs once each is in place. */
  private readonly files: Array<{ tmp: string; final: string; named: () => void }> = [];

  constructor(private readonly paths: BlobPaths) {}

  get size(): number {
    return this.pending.size + this.files.length;
  }

  has(digest: Digest): boolean {
    return this.pending.has(digest);
  }

  /** Where a pending blob's bytes are until flush (undefined when not in this batch). */
  pendingPath(digest: Digest): string | undefined {
    return this.pending.get(digest)?.tmp;
  }

  add(digest: Digest, tmp: string, size: number): boolean {
    if (this.pending.has(digest)) return false;
    this.pending.set(digest, { tmp, size });
    return true;
  }

  /** A file that is not a blob (a pack) to make durable and rename to `final` with the batch. */
  addFile(tmp: string, final: string, named: () => void): void {
    this.files.push({ tmp, final, named });
  }

  /**
   * Every file in the batch made durable (one syncfs, or each file's own fdatasync for a small
   * batch), then the renames, then one fsync per directory. `writeback` runs before a syncfs (a
   * worker's syncfs, so this thread's own is short); a small batch does not need it.
   */
  async flush(writeback?: () => Promise<void>): Promise<void> {
    if (this.size === 0) return;
    if (this.size <= SYNC_EACH_MAX) {
      await syncFiles([...this.pending.values(), ...this.files].map((f) => f.tmp));
    } else {
      await writeback?.();
      const fh = await open(this.paths.ingestDir, 'r');
      try {
        native.syncfs(fh.fd);
      } finally {
        await fh.close();
      }
    }
    const dirs = new Set<string>();
    for (const [digest, { tmp }] of this.pending) {
      await rename(tmp, this.paths.blobPath(digest));
      dirs.add(this.paths.blobsDir);
    }
    this.pending.clear();
    const named: Array<() => void> = [];
    while (this.files.length > 0) {
      const f = this.files[0]!;
      await rename(f.tmp, f.final);
      this.files.shift(); // only once renamed: a failure leaves the rest for discard()
      dirs.add(dirname(f.final));
      named.push(f.named);
    }
    for (const dir of dirs) await fsyncDir(dir);
    for (const n of named) n(); // announced once the names are durable too
  }

  /** Throws away every pending blob not in `keep` (staged bytes nothing turned out to reference). */
  async keepOnly(keep: ReadonlySet<Digest>): Promise<void> {
    for (const [digest, { tmp }] of this.pending) {
      if (keep.has(digest)) continue;
      this.pending.delete(digest);
      await rm(tmp, { force: true });
    }
  }

  async discard(): Promise<void> {
    for (const { tmp } of [...this.pending.values(), ...this.files.splice(0)]) await rm(tmp, { force: true });
    this.pending.clear();
  }
}

export class LocalBlobWriter implements BlobWriter {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  private done = false;

  private constructor(
    private readonly paths: BlobPaths,
    private readonly tmp: string,
    private readonly fh: FileHandle,
    private readonly batch: DurabilityBatch | undefined,
  ) {}

  static async open(paths: BlobPaths, batch?: DurabilityBatch): Promise<LocalBlobWriter> {
    const tmp = join(paths.ingestDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      const fh = await open(tmp, 'wx', 0o644);
      return new LocalBlobWriter(paths, tmp, fh, batch);
    } catch (err) {
      throw fromSystemError(err, 'opening a blob for writing');
    }
  }

  get written(): number {
    return this.bytes;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.hash.update(chunk);
    this.bytes += chunk.byteLength;
    let off = 0;
    try {
      while (off < chunk.byteLength) {
        const { bytesWritten } = await this.fh.write(chunk, off, chunk.byteLength - off);
        off += bytesWritten;
      }
    } catch (err) {
      await this.abort();
      throw fromSystemError(err, 'writing a blob');
    }
  }

  async commit(expected: Expected = {}): Promise<BlobInfo> {
    const digest = digestOfHex(this.hash.digest('hex'));
    const info = { digest, size: this.bytes };
    try {
      if (expected.size !== undefined && expected.size !== this.bytes) throw new SizeMismatchError(expected.size, this.bytes, 'blob');
      if (expected.digest !== undefined && expected.digest !== digest) throw new DigestMismatchError(expected.digest, digest, 'blob');
      if (await this.exists(digest)) {
        await this.abort();
        return info;
      }
      if (this.batch) {
        await this.fh.close();
        this.done = true;
        if (!this.batch.add(digest, this.tmp, this.bytes)) await rm(this.tmp, { force: true });
        return info;
      }
      await this.fh.sync();
      await this.fh.close();
      this.done = true;
      await rename(this.tmp, this.paths.blobPath(digest));
      await fsyncDir(this.paths.blobsDir);
      return info;
    } catch (err) {
      await this.abort();
      throw fromSystemError(err, `committing ${hexOf(digest).slice(0, 12)}`);
    }
  }

  private async exists(digest: Digest): Promise<boolean> {
    if (this.batch?.has(digest)) return true;
    try {
      const st = await stat(this.paths.blobPath(digest));
      // A blob of the wrong size is damage (say, a crash on a filesystem without ordered data);
      // write over it so the store heals itself.
      return st.size === this.bytes;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async abort(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.fh.close().catch(() => undefined);
    }
    await rm(this.tmp, { force: true });
  }
}
