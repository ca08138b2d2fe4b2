/**
 * The local store's packs: volume snapshot chunks, many to a file.
 *
 *   <root>/packs/<32 hex>              packs (core/pack-format.ts), immutable once named
 *   <root>/quarantine/<hex>.packed     a packed blob that failed verification; names its pack
 *
 * Why: a volume is mostly small files, and one blob file per chunk made a snapshot of 20,000 files
 * 20,000 creates and renames. ext4 serializes creates in one directory and slows its inode
 * allocator down after mass deletes (a GC, a previous store removed): the same snapshot took
 * 3.6 s to 14 s depending on what had been deleted before. Packed, it is ~25 files, like restic's.
 *
 * A blob's identity does not change: it is still named by the sha256 of its bytes, read through the
 * same LocalContentStore calls (info, reader, readBytes, walk, delete) and verified the same way.
 * Only chunks are packed; images, trees and records stay blob files (skopeo and umoci read the
 * images; trees and records are few and read by path in the hot paths).
 *
 * The index (digest → pack, offset, length) is not stored: it is rebuilt from the packs' trailers
 * (one read of each pack's tail) when first needed, and re-read when the directory changes, so a
 * crash can never leave it disagreeing with the packs. A pack is written in ingest/, made durable
 * and only then renamed here (a snapshot's DurabilityBatch; GC's rewrite fsyncs its one new pack);
 * packs are never modified: GC removes a pack whose blobs are all dead and rewrites one with some
 * dead into a new pack before removing it. Blobs are stored as they are (chunks come compressed
 * already when that pays): a pack with any other encoding in its trailer is not one of ours.
 */
import { closeSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { hexOf, type Digest } from '../core/digest.js';
import { IntegrityError, InvalidInputError, isErrno } from '../core/errors.js';
import { PACK_TAIL, encodeTrailer, parsePackTail, parseTrailer, type PackEntry, type PackSpan } from '../core/pack-format.js';
import { fsyncDir } from '../platform/durable.js';

/** Packs are sealed at about this size (a chunk is at most 2 MiB; 4 MiB in older snapshots). */
export const LOCAL_PACK_TARGET = 16 * 1024 * 1024;
const PACK_NAME = /^[0-9a-f]{32}$/;
const RACY_MS = 100;

/** Where a packed blob's bytes are. */
export interface PackedBlob {
  pack: string;
  offset: number;
  length: number;
}

/** A pack that could not be read (its blobs are not in the index): `system check` reports it. */
export interface BadPack {
  pack: string;
  error: string;
}

/** A sealed pack waiting in ingest/ to be made durable and named. */
export interface SealedLocalPack {
  tmp: string;
  name: string;
  entries: PackEntry[];
  size: number;
}

/**
 * Appends blobs to a new pack file in ingest/ with synchronous writes (the snapshot's main thread
 * hands them over one at a time); seal() writes the trailer. The caller makes it durable and
 * renames it to LocalPacks.packPath(name).
 */
export class PackFileWriter {
  private fd: number | undefined;
  private readonly tmp: string;
  private readonly entries: PackEntry[] = [];
  private offset = 0;

  constructor(ingestDir: string) {
    this.tmp = join(ingestDir, `${process.pid}-lpack-${randomBytes(6).toString('hex')}`);
  }

  get size(): number {
    return this.offset;
  }

  append(digest: Digest, bytes: Uint8Array): void {
    this.fd ??= openSync(this.tmp, 'wx', 0o600);
    writeAll(this.fd, bytes);
    this.entries.push({ digest, offset: this.offset, length: bytes.byteLength, encoding: 'raw', rawLength: bytes.byteLength });
    this.offset += bytes.byteLength;
  }

  /** Writes the trailer and closes the file; undefined when nothing was appended. */
  seal(): SealedLocalPack | undefined {
    if (this.fd === undefined) return undefined;
    const trailer = encodeTrailer(this.entries);
    writeAll(this.fd, trailer);
    closeSync(this.fd);
    this.fd = undefined;
    return { tmp: this.tmp, name: randomBytes(16).toString('hex'), entries: this.entries, size: this.offset + trailer.length };
  }

  /** Throws the unsealed pack away. */
  abort(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    rmSync(this.tmp, { force: true });
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off);
}

/** Reads a pack's trailer: InvalidInputError (BAD_PACK) when it is not a whole pack of ours. */
async function readTrailer(file: string): Promise<PackEntry[]> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const tail = Buffer.alloc(PACK_TAIL);
    await fh.read(tail, 0, PACK_TAIL, Math.max(0, size - PACK_TAIL));
    const len = parsePackTail(tail, size);
    const json = Buffer.alloc(len);
    await fh.read(json, 0, len, size - PACK_TAIL - len);
    const entries = parseTrailer(json, size);
    if (entries.some((e) => e.encoding !== 'raw')) throw new InvalidInputError(`pack ${file} holds encoded blobs: not a pack of this store`, { code: 'BAD_PACK' });
    return entries;
  } finally {
    await fh.close();
  }
}

export class LocalPacks {
  private readonly index = new Map<Digest, PackedBlob>();
  /** Pack name → its entries (the index keeps one location per digest; packs may share one). */
  private readonly packs = new Map<string, PackEntry[]>();
  private readonly badPacks = new Map<string, string>();
  private quarantinedIn = new Map<Digest, Set<string>>();
  private dirMtime = -1;
  private racy = false;
  private loading: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly quarantineDir: string,
  ) {}

  packPath(name: string): string {
    return join(this.dir, name);
  }

  /**
   * Brings the index up to date with the directory (a stat when nothing changed; the trailers of
   * new packs when something did) and returns this, ready for the synchronous lookups.
   *
   * The directory's mtime says whether it changed, except within one tick of the kernel's coarse
   * clock: a listing taken within RACY_MS of the mtime it saw may have missed a pack named in the
   * same tick, so the next call lists again (git's "racy" index entries, the same cure).
   */
  async ready(): Promise<this> {
    let mtime: number;
    try {
      mtime = (await stat(this.dir)).mtimeMs;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return this;
      throw err;
    }
    if (mtime === this.dirMtime && !this.racy) return this;
    this.loading ??= this.load(mtime).finally(() => (this.loading = undefined));
    await this.loading;
    return this;
  }

  private async load(mtime: number): Promise<void> {
    const listed = Date.now(); // before the listing: a pack named after it, in the same tick, is what "racy" covers
    const names = (await readdir(this.dir)).filter((n) => PACK_NAME.test(n));
    const present = new Set(names);
    let changed = false;
    for (const name of [...this.packs.keys()]) if (!present.has(name)) changed = this.packs.delete(name);
    for (const name of [...this.badPacks.keys()]) if (!present.has(name)) this.badPacks.delete(name);
    const quarantined = await this.readQuarantine();
    if (quarantineKey(quarantined) !== quarantineKey(this.quarantinedIn)) changed = true;
    this.quarantinedIn = quarantined;
    for (const name of names) {
      if (this.packs.has(name) || this.badPacks.has(name)) continue;
      changed = true;
      try {
        this.packs.set(name, await readTrailer(this.packPath(name)));
      } catch (err) {
        if (isErrno(err, 'ENOENT')) continue; // removed meanwhile (a GC)
        if (!(err instanceof InvalidInputError) && !(err instanceof IntegrityError)) throw err; // EIO, EMFILE...: not a verdict on the pack
        this.badPacks.set(name, (err as Error).message);
      }
    }
    if (changed) this.rebuild(); // from the packs as listed, with the quarantine as it is now
    this.dirMtime = mtime;
    this.racy = listed - mtime < RACY_MS;
  }

  /** Digest → the packs it was found bad in. */
  private async readQuarantine(): Promise<Map<Digest, Set<string>>> {
    const out = new Map<Digest, Set<string>>();
    let names: string[];
    try {
      names = await readdir(this.quarantineDir);
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return out;
      throw err;
    }
    for (const n of names) {
      if (!n.endsWith('.packed')) continue;
      const digest = `sha256:${n.slice(0, -'.packed'.length)}` as Digest;
      const packs = (await readFile(join(this.quarantineDir, n), 'utf8').catch(() => '')).split('\n').filter(Boolean);
      out.set(digest, new Set(packs));
    }
    return out;
  }

  /** Records a pack now in the directory (committed by this process, or found by load). */
  add(name: string, entries: PackEntry[]): void {
    this.packs.set(name, entries);
    this.indexPack(name, entries);
  }

  private indexPack(name: string, entries: readonly PackEntry[]): void {
    for (const e of entries) {
      if (this.index.has(e.digest) || this.quarantinedIn.get(e.digest)?.has(name)) continue;
      this.index.set(e.digest, { pack: name, offset: e.offset, length: e.length });
    }
  }

  /** The index again from the packs known (after packs went: a blob may live on in another one). */
  private rebuild(): void {
    this.index.clear();
    for (const [name, entries] of this.packs) this.indexPack(name, entries);
  }

  /** Where a blob is packed (after ready()). */
  get(digest: Digest): PackedBlob | undefined {
    return this.index.get(digest);
  }

  /** The span a synchronous reader needs (after ready()). */
  span(digest: Digest): PackSpan | undefined {
    const loc = this.index.get(digest);
    return loc && { file: this.packPath(loc.pack), offset: loc.offset, length: loc.length, zstd: false, quarantine: true };
  }

  /** Every packed blob (after ready()). */
  entries(): IterableIterator<[Digest, PackedBlob]> {
    return this.index.entries();
  }

  get bad(): BadPack[] {
    return [...this.badPacks].map(([pack, error]) => ({ pack, error }));
  }

  /**
   * A packed blob's bytes, not verified (the caller verifies).
   * A pack that went since the index was read (a GC rewrote it) sends the read to the pack the
   * blob now lives in.
   */
  async read(digest: Digest): Promise<Buffer | undefined> {
    try {
      return await this.readOnce(digest);
    } catch (err) {
      if (!isErrno(err, 'ENOENT')) throw err;
      this.dirMtime = -1;
      return this.readOnce(digest);
    }
  }

  private async readOnce(digest: Digest): Promise<Buffer | undefined> {
    await this.ready();
    const loc = this.index.get(digest);
    if (!loc) return undefined;
    const fh = await open(this.packPath(loc.pack), 'r');
    try {
      const bytes = Buffer.allocUnsafe(loc.length);
      const { bytesRead } = await fh.read(bytes, 0, loc.length, loc.offset);
      return bytes.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  /**
   * Stops using a packed blob that failed verification (the marker survives restarts), so the
   * next snapshot that meets the data packs it afresh: the store heals as with a blob file.
   */
  async quarantine(digest: Digest): Promise<boolean> {
    await this.ready();
    const loc = this.index.get(digest);
    if (!loc) return false;
    await mkdir(this.quarantineDir, { recursive: true, mode: 0o700 });
    await writeFile(join(this.quarantineDir, `${hexOf(digest)}.packed`), `${loc.pack}\n`, { flag: 'a', mode: 0o600 });
    this.quarantinedIn.set(digest, new Set([...(this.quarantinedIn.get(digest) ?? []), loc.pack]));
    this.rebuild(); // another pack may hold a good copy
    const now = new Date();
    await utimes(this.dir, now, now); // other processes' indexes see packs/ change and reload, with the marker
    return true;
  }

  /** Moves a pack that cannot be read to quarantine/ (`system check --repair`): the next snapshots store its blobs afresh. */
  async quarantinePack(name: string): Promise<void> {
    if (!PACK_NAME.test(name)) throw new Error(`bug: not a pack name: ${name}`);
    await mkdir(this.quarantineDir, { recursive: true, mode: 0o700 });
    await rename(this.packPath(name), join(this.quarantineDir, `${name}.pack`)).catch((err: unknown) => {
      if (!isErrno(err, 'ENOENT')) throw err;
    });
    this.badPacks.delete(name);
    this.dirMtime = -1;
  }

  /**
   * Removes the `dead` blobs (garbage collection, under the exclusive store lock), and copies the
   * index does not serve (a quarantined one, the second copy of a blob two snapshots packed at
   * once): a pack left with nothing served is deleted; one with some is rewritten without the
   * rest, the new pack durable and named before the old one goes. Quarantine markers of packs
   * that are gone go too: there is nothing left for them to keep out.
   */
  async removeDead(dead: ReadonlySet<Digest>, ingestDir: string): Promise<void> {
    await this.ready();
    const served = (name: string, e: PackEntry) => !dead.has(e.digest) && this.index.get(e.digest)?.pack === name;
    let changed = false; // nothing to rewrite: no fsync, no rebuild, no new listing
    try {
      for (const [name, entries] of [...this.packs]) {
        const live = entries.filter((e) => served(name, e));
        if (live.length === entries.length) continue;
        changed = true;
        if (live.length > 0) {
          const sealed = copyEntries(this.packPath(name), live, ingestDir);
          renameSync(sealed.tmp, this.packPath(sealed.name));
          await fsyncDir(this.dir);
          this.packs.set(sealed.name, sealed.entries);
        }
        this.packs.delete(name);
        await unlink(this.packPath(name)).catch((err: unknown) => {
          if (!isErrno(err, 'ENOENT')) throw err;
        });
      }
      if (changed) await fsyncDir(this.dir);
      await this.dropStaleMarkers(); // also those a quarantined pack left (quarantinePack)
    } finally {
      // Also after a failure half-way (a full disk): the index follows the packs as they now are.
      if (changed) {
        this.rebuild();
        this.dirMtime = -1;
      }
    }
  }

  private async dropStaleMarkers(): Promise<void> {
    for (const [digest, packs] of this.quarantinedIn) {
      if ([...packs].some((p) => this.packs.has(p))) continue;
      await unlink(join(this.quarantineDir, `${hexOf(digest)}.packed`)).catch(() => undefined);
      this.quarantinedIn.delete(digest);
    }
  }
}

function quarantineKey(q: ReadonlyMap<Digest, ReadonlySet<string>>): string {
  return [...q].map(([d, packs]) => `${d}:${[...packs].join(',')}`).sort().join(' ');
}

/** A new pack in ingest/ with `entries` copied byte for byte out of `file`, fsync'ed. */
function copyEntries(file: string, entries: readonly PackEntry[], ingestDir: string): SealedLocalPack {
  const writer = new PackFileWriter(ingestDir);
  let sealed: SealedLocalPack | undefined;
  try {
    const fd = openSync(file, 'r');
    try {
      for (const e of entries) {
        const buf = Buffer.allocUnsafe(e.length);
        let n = 0;
        for (let r = 1; r > 0 && n < e.length; n += r) r = readSync(fd, buf, n, e.length - n, e.offset + n);
        if (n !== e.length) throw new IntegrityError(`pack ${file} is shorter than its trailer says`, { code: 'BAD_PACK' });
        writer.append(e.digest, buf);
      }
    } finally {
      closeSync(fd);
    }
    sealed = writer.seal()!;
    const out = openSync(sealed.tmp, 'r');
    try {
      fsyncSync(out);
    } finally {
      closeSync(out);
    }
    return sealed;
  } catch (err) {
    writer.abort();
    if (sealed) rmSync(sealed.tmp, { force: true });
    throw err;
  }
}
