/**
 * Packs sealed while a backup holds its container (paused or stopped for a consistent read): they
 * may not be uploaded yet. Two rules for that window: nothing the read does may wait on the
 * network (the container would stay held as long as the slowest upload), and nothing reaches the
 * repository until the container runs again (a backup killed while it holds leaves the repository
 * as it was). So a PackSink parks its packs, each in a spool file (one sequential write, no
 * fsync: a spool that dies with us is only a temp file; without a spool directory, in memory),
 * and uploads them all once the hold ends. A small change never gets this far: it fits in the
 * pack still filling when the hold ends.
 *
 * Spool files live in the caller's scratch directory (the store's ingest/, named `<pid>-spool-…`,
 * so the store's ingest cleanup removes those of a dead process). A spooled pack is re-hashed as
 * it streams out and the upload fails before its last bytes unless it is still the pack it was.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Backend } from './backend.js';
import { provenChunks } from './big-blob-pack.js';
import type { SealedPack } from './pack-builder.js';
import type { PackUpload } from './pack-uploader.js';
import { packName } from './repo-layout.js';

export class ParkedPacks {
  private readonly parked: PackUpload[] = [];
  /** Spool files not yet uploaded (also of packs taken: discard() removes them after a failure). */
  private readonly files = new Set<string>();

  constructor(
    private readonly backend: Backend,
    /** Where spool files go; without one, every parked pack stays in memory. */
    private readonly spoolDir: string | undefined,
    /** Gets a pack's buffer back once the pack no longer needs it. */
    private readonly recycle: (bytes: Buffer) => void,
  ) {}

  get size(): number {
    return this.parked.length;
  }

  /** Keeps a sealed pack until take(). */
  async park(sealed: SealedPack): Promise<void> {
    const base = { id: sealed.id, size: sealed.bytes.length, entries: sealed.entries, rawBytes: sealed.rawBytes };
    if (!this.spoolDir) {
      const put = async () => {
        await this.backend.put(packName(sealed.id), sealed.bytes);
        this.recycle(sealed.bytes); // not after a failure: a cut transfer may still hold it
      };
      this.parked.push({ ...base, put });
      return;
    }
    const file = join(this.spoolDir, `${process.pid}-spool-${randomBytes(6).toString('hex')}`);
    this.files.add(file);
    // listed before the write: a take() meanwhile must not miss it (its upload waits for the write)
    const written = writeFile(file, sealed.bytes, { flag: 'wx', mode: 0o600 });
    written.catch(() => undefined); // awaited below, and by the upload
    const open = () => Readable.from(provenChunks(createReadStream(file, { highWaterMark: 1 << 20 }), sealed.id), { objectMode: false });
    const put = async () => {
      await written;
      await this.backend.put(packName(sealed.id), { size: base.size, open });
      this.files.delete(file);
      await rm(file, { force: true });
    };
    this.parked.push({ ...base, put });
    await written;
    this.recycle(sealed.bytes);
  }

  /** The parked uploads, in the order they were parked; they are no longer kept here. */
  take(): PackUpload[] {
    return this.parked.splice(0);
  }

  /** Forgets every parked pack and removes the spool files left (a failed backup). */
  async discard(): Promise<void> {
    this.parked.length = 0;
    for (const f of [...this.files]) await rm(f, { force: true });
    this.files.clear();
  }
}
