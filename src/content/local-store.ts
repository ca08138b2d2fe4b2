/**
 * The content store on a local filesystem, laid out as an OCI image layout so skopeo and umoci can
 * read it directly:
 *
 *   <root>/oci-layout              {"imageLayoutVersion":"1.0.0"}
 *   <root>/index.json              image refs (content/refs.ts)
 *   <root>/blobs/sha256/<hex>      every blob but volume snapshot chunks
 *   <root>/packs/<32 hex>          volume snapshot chunks, packed (local-packs.ts)
 *   <root>/ingest/<pid>-<random>   writes in progress; never read
 *   <root>/quarantine/<hex>        blobs that failed verification, kept as evidence
 *
 * Packed blobs are blobs like any other to every caller: info, reader, readBytes, walk, delete
 * and quarantine look in packs/ when blobs/ does not have the digest (blobs/ first: a blob file
 * is found with one stat, and the pack index is only read when a digest is not there). A blob
 * file that fails readBytes' hash is quarantined and a packed copy read instead.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { storeLayout } from '../core/layout.js';
import { Readable } from 'node:stream';
import { hexOf, isDigest, digestOfHex, type Digest } from '../core/digest.js';
import { sha256 } from '../core/hashing.js';
import { DigestMismatchError, InvalidInputError, NotFoundError, isErrno } from '../core/errors.js';
import { LocalBlobWriter, DurabilityBatch, type BlobPaths } from './blob-writer.js';
import { LocalPacks } from './local-packs.js';
import type { BlobInfo, BlobWriter, ContentStore, Expected, ReadOptions } from './content-store.js';
import { VerifyingStream } from './verify.js';

export const OCI_LAYOUT = '{"imageLayoutVersion":"1.0.0"}';
const STALE_INGEST_MS = 24 * 3600 * 1000;

export class LocalContentStore implements ContentStore, BlobPaths {
  readonly blobsDir: string;
  readonly ingestDir: string;
  readonly quarantineDir: string;
  readonly packs: LocalPacks;

  private constructor(readonly root: string) {
    this.blobsDir = join(root, 'blobs', 'sha256');
    this.ingestDir = join(root, 'ingest');
    this.quarantineDir = join(root, 'quarantine');
    this.packs = new LocalPacks(storeLayout(root).packs, this.quarantineDir);
  }

  /** Opens (creating when needed) a store at `root`. */
  static async open(root: string): Promise<LocalContentStore> {
    const store = new LocalContentStore(root);
    await mkdir(store.blobsDir, { recursive: true, mode: 0o700 });
    await mkdir(store.ingestDir, { recursive: true, mode: 0o700 });
    await mkdir(store.packs.dir, { recursive: true, mode: 0o700 });
    await writeFile(join(root, 'oci-layout'), OCI_LAYOUT, { flag: 'wx' }).catch((err) => {
      if (!isErrno(err, 'EEXIST')) throw err;
    });
    await writeFile(join(root, 'index.json'), '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}', {
      flag: 'wx',
    }).catch((err) => {
      if (!isErrno(err, 'EEXIST')) throw err;
    });
    return store;
  }

  blobPath(digest: Digest): string {
    return join(this.blobsDir, hexOf(digest));
  }

  async info(digest: Digest): Promise<BlobInfo | undefined> {
    const file = await this.fileInfo(digest);
    if (file) return file;
    const packed = (await this.packs.ready()).get(digest);
    return packed && { digest, size: packed.length };
  }

  /** A blob file's size; packs are not looked at. */
  private async fileInfo(digest: Digest): Promise<BlobInfo | undefined> {
    try {
      return { digest, size: (await stat(this.blobPath(digest))).size };
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  /** The blob file open for reading, or undefined when there is none (the blob may be packed). */
  private async openFile(digest: Digest): Promise<FileHandle | undefined> {
    try {
      return await open(this.blobPath(digest), 'r');
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    }
  }

  async reader(digest: Digest, opts: ReadOptions = {}): Promise<Readable> {
    const fh = await this.openFile(digest);
    let source: Readable;
    let size: number;
    if (fh) {
      size = (await fh.stat()).size;
      source = fh.createReadStream({ highWaterMark: 1 << 20 });
    } else {
      const bytes = await this.packs.read(digest);
      if (!bytes) throw new NotFoundError('blob', digest);
      size = bytes.length;
      source = Readable.from([bytes]);
    }
    if (!opts.verify) return source;
    const verifier = new VerifyingStream({ digest, size }, () => this.quarantine(digest));
    source.on('error', (err) => verifier.destroy(err));
    return source.pipe(verifier);
  }

  async readBytes(digest: Digest, limit = 64 * 1024 * 1024): Promise<Buffer> {
    const tooBig = (size: number) => new InvalidInputError(`blob ${digest} is ${size} bytes, over the ${limit}-byte limit for documents`);
    let bad: Digest | undefined; // what a damaged copy hashed to
    const fh = await this.openFile(digest);
    if (fh) {
      let data: Buffer;
      try {
        const { size } = await fh.stat();
        if (size > limit) throw tooBig(size);
        data = await fh.readFile();
      } finally {
        await fh.close();
      }
      const actual = sha256(data);
      if (actual === digest) return data;
      // A damaged blob file would hide a good packed copy of the same blob (blobs/ is looked at
      // first) on every read: it is set aside and the packs are tried.
      this.setAsideFile(digest); // the file alone: the packed copy has not been read yet
      bad = actual;
    }
    // Packed chunks are at most a pack's size: read, then checked. A bad copy is set aside, and
    // another pack may hold a good one; each quarantine takes one pack out, so this ends.
    for (;;) {
      const data = await this.packs.read(digest);
      if (!data) throw bad ? new DigestMismatchError(digest, bad, 'stored blob') : new NotFoundError('blob', digest);
      if (data.length > limit) throw tooBig(data.length);
      const actual = sha256(data);
      if (actual === digest) return data;
      if (!(await this.packs.quarantine(digest).catch(() => false))) throw new DigestMismatchError(digest, actual, 'stored blob');
      bad = actual;
    }
  }

  async writer(): Promise<BlobWriter> {
    return LocalBlobWriter.open(this);
  }

  /** A writer whose commit joins `batch`: visible only after batch.flush(). */
  async batchWriter(batch: DurabilityBatch): Promise<BlobWriter> {
    return LocalBlobWriter.open(this, batch);
  }

  newBatch(): DurabilityBatch {
    return new DurabilityBatch(this);
  }

  /** True when the blob is committed (or pending in `batch`) with the expected size. */
  async has(digest: Digest, size?: number, batch?: DurabilityBatch): Promise<boolean> {
    if (batch?.has(digest)) return true;
    const info = await this.info(digest);
    return info !== undefined && (size === undefined || info.size === size);
  }

  /**
   * Only blob files count as already there: what is put is an image's blob, a record or a tree,
   * never a packed chunk, and looking in packs/ would read every pack's trailer on an image load.
   */
  async put(source: Readable | Uint8Array, expected: Expected = {}, batch?: DurabilityBatch): Promise<BlobInfo> {
    const there = expected.digest && !batch?.has(expected.digest) ? await this.fileInfo(expected.digest) : undefined;
    if (expected.digest && (batch?.has(expected.digest) || (there && (expected.size === undefined || there.size === expected.size)))) {
      if (!(source instanceof Uint8Array)) source.resume();
      return { digest: expected.digest, size: expected.size ?? there?.size ?? 0 };
    }
    const w = batch ? await this.batchWriter(batch) : await this.writer();
    try {
      if (source instanceof Uint8Array) {
        await w.write(source);
      } else {
        for await (const chunk of source) await w.write(chunk as Uint8Array);
      }
    } catch (err) {
      await w.abort();
      throw err;
    }
    return w.commit(expected);
  }

  async *walk(): AsyncIterable<BlobInfo> {
    let names: string[];
    try {
      names = await readdir(this.blobsDir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return;
      throw err;
    }
    for (const name of names) {
      const digest = `sha256:${name}`;
      if (!isDigest(digest)) continue;
      const st = await stat(join(this.blobsDir, name)).catch(() => undefined);
      if (st?.isFile()) yield { digest, size: st.size };
    }
    const files = new Set(names);
    for (const [digest, packed] of [...(await this.packs.ready()).entries()]) {
      if (!files.has(hexOf(digest))) yield { digest, size: packed.length };
    }
  }

  async delete(digest: Digest): Promise<void> {
    await this.deleteMany([digest]);
  }

  /**
   * Removes blobs (garbage collection only, under the exclusive store lock): blob files at once,
   * packed ones by rewriting their packs, each pack once for all of its dead blobs.
   */
  async deleteMany(digests: Iterable<Digest>): Promise<void> {
    const packed = new Set<Digest>();
    const packs = await this.packs.ready();
    for (const digest of digests) {
      await rm(this.blobPath(digest), { force: true });
      if (packs.get(digest)) packed.add(digest);
    }
    await packs.removeDead(packed, this.ingestDir); // also drops copies nothing serves (quarantined, duplicates)
  }

  /**
   * Moves a blob that failed verification out of the way, so the next write of it heals the store:
   * the blob file when there is one (blobs/ is read first, so that is the copy that failed), else
   * its packed copy. A file that cannot be moved (a read-only store, a name in the way) stays, and
   * the packed copy, which nobody read, is left alone. Never throws: callers quarantine while
   * reporting the integrity error, which must stay the error the user sees.
   */
  async quarantine(digest: Digest): Promise<void> {
    if (this.setAsideFile(digest) === 'none') await this.packs.quarantine(digest).catch(() => false);
  }

  /** The blob file into quarantine/: 'moved', 'none' (there is no file), or 'stuck' (left in place). Never throws. */
  private setAsideFile(digest: Digest): 'moved' | 'none' | 'stuck' {
    try {
      return this.quarantineFileSync(digest) ? 'moved' : 'none';
    } catch {
      return 'stuck'; // the next read finds it bad again
    }
  }

  /** quarantine() for a blob file, synchronously (a snapshot's sink decides on the main thread); false when there is none. */
  quarantineFileSync(digest: Digest): boolean {
    mkdirSync(this.quarantineDir, { recursive: true, mode: 0o700 });
    try {
      renameSync(this.blobPath(digest), join(this.quarantineDir, hexOf(digest)));
      return true;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** Removes temp files of writers that died (their pid is gone, or nothing touched them for a day). */
  async cleanIngest(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.ingestDir).catch(() => [] as string[])) {
      const pid = Number(name.split('-')[0]);
      const path = join(this.ingestDir, name);
      const st = await stat(path).catch(() => undefined);
      if (!st) continue;
      const stale = Date.now() - st.mtimeMs > STALE_INGEST_MS;
      if (stale || !Number.isInteger(pid) || !pidAlive(pid)) {
        await rm(path, { force: true, recursive: true });
        removed++;
      }
    }
    return removed;
  }

  /** Re-hashes one blob; returns the actual digest. */
  async rehash(digest: Digest): Promise<Digest> {
    const { createHash } = await import('node:crypto');
    const h = createHash('sha256');
    const fh = await this.openFile(digest);
    if (fh) {
      for await (const chunk of fh.createReadStream({ highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
    } else {
      const bytes = await this.packs.read(digest);
      if (!bytes) throw new NotFoundError('blob', digest);
      h.update(bytes);
    }
    return digestOfHex(h.digest('hex'));
  }

  /** Marks a blob as used now (GC grace periods look at mtime). */
  async touch(digest: Digest): Promise<void> {
    const now = new Date();
    await utimes(this.blobPath(digest), now, now).catch(() => undefined);
  }
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
}

