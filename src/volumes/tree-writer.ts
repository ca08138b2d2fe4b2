/**
 * A directory tree → tree blobs and chunks, one directory at a time (depth first: memory holds
 * only the directories on the current path and a few scanned ahead, never the whole tree).
 *
 * The I/O workers do the syscalls: they scan directories (names as raw bytes, lstat that never
 * follows a symlink, xattrs, link targets; the next few subdirectories are scanned ahead) and read
 * files in groups (read, chunk, hash, compress, and post new chunks here for the snapshot's sink:
 * blob-sink.ts), while this thread compares with the parent snapshot and builds trees. A file
 * whose size, mtime, ctime and inode match the parent snapshot's entry reuses its chunk list
 * unread; files of one inode (hardlinks) are read once; a directory whose entries did not change
 * keeps its parent's tree blob. A directory without subdirectories is compared where it was
 * scanned (scanned-entry.ts sameLeaf): when nothing in it changed, this thread gets counts and
 * the tree's chunks, never its entries. Mount points below the root are kept as empty
 * directories, sockets are skipped; both are counted.
 */
import { lstat, type BigIntStats } from 'node:fs';
import type { ChunkerParams } from '../core/chunker.js';
import { isDigest, type Digest } from '../core/digest.js';
import { IntegrityError } from '../core/errors.js';
import { MediaType } from '../core/media-types.js';
import type { Descriptor } from '../core/oci.js';
import { entryName, treeChildren, type ContentRef, type RootMeta, type Tree, type TreeEntry } from '../core/volume-snapshot-format.js';
import type { LocalContentStore } from '../content/local-store.js';
import type { BlobBatcher } from './blob-batcher.js';
import type { SinkFeed } from './blob-sink.js';
import { HostDir, type HostPath } from './host-dir.js';
import type { StoreOutcome } from './io-jobs.js';
import { readXattrs } from './node-meta.js';
import { scanEntry, type ScanEntry } from './scan-dir-sync.js';
import { scannedEntry, unchangedChunks, withContent, type SameDir } from './scanned-entry.js';
import { compressTreeJson } from './tree-blob.js';
import type { WorkerPool } from './worker-pool.js';

export interface TreeWriterCounters {
  files: number;
  dirs: number;
  bytes: number;
  readBytes: number;
  unchangedFiles: number;
  skipped: number;
  skippedXattrs: number;
}

export interface TreeWriterOptions {
  content: LocalContentStore;
  blobs: BlobBatcher;
  /** Where chunks go (the pool carries segments to it): the store's packs, or a repository; trees go to the store too. */
  feed: SinkFeed;
  pool: WorkerPool;
  chunker: ChunkerParams;
  onRead?: (bytes: number) => void;
  signal?: AbortSignal;
}

const GROUP_FILES = 64;
const GROUP_BYTES = 8 * 1024 * 1024;
/** Subdirectories scanned (and their parent trees loaded) ahead of the walk. */
const AHEAD = 8;

type StoredTree = { digest: Digest; size: number };
interface Parent {
  tree: Tree;
  /** The parent tree's JSON: a directory that encodes to the same text keeps the parent's blob. */
  json: string;
  blob: StoredTree;
}
/** A directory as its worker saw it: kept whole from the parent, or to be built here. */
type Scanned = { same: SameDir; blob: StoredTree } | { same?: undefined; scan: ScanEntry[]; parent: Parent | undefined };
type Ahead = Promise<Scanned>;
interface FileTask {
  path: HostPath;
  size: number;
  /** The file's chunks in the parent snapshot, when it had it. */
  previous?: ContentRef[];
  done: (o: StoreOutcome) => void;
  fail: (e: unknown) => void;
}

/**
 * A directory's entries while its files are read: slots in scan order, filled as workers answer,
 * and `tree` once the walk is over and every slot is filled (or rejected with the first failure).
 * One of these per directory instead of a promise and its callbacks per file: a walk holds
 * hundreds of files in flight, and whatever each of them carries outlives the young generation
 * and becomes old-generation garbage (the entries themselves still do; see bin/lifeboat's flags).
 */
class DirEntries {
  private readonly slots: Array<TreeEntry | undefined> = [];
  private open = 1; // the walk itself, until close()
  private failed = false;
  private readonly settle: { resolve: (t: Tree) => void; reject: (e: unknown) => void };
  readonly tree: Promise<Tree>;

  constructor() {
    let settle!: DirEntries['settle'];
    this.tree = quiet(new Promise<Tree>((resolve, reject) => (settle = { resolve, reject })));
    this.settle = settle;
  }

  /** An entry known now. */
  push(entry: TreeEntry): void {
    this.slots.push(entry);
  }

  /** A slot for an entry known later; fill() it, or fail(). */
  reserve(): number {
    this.open++;
    return this.slots.push(undefined) - 1;
  }

  /** `entry` undefined: the file or directory went during the walk (no entry). */
  fill(slot: number, entry: TreeEntry | undefined): void {
    this.slots[slot] = entry;
    this.release();
  }

  fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.settle.reject(err);
  }

  /** The walk has handed out every entry. */
  close(): void {
    this.release();
  }

  private release(): void {
    if (--this.open === 0 && !this.failed) this.settle.resolve({ entries: this.slots.filter((e): e is TreeEntry => e !== undefined) });
  }
}

const quiet = <T>(p: Promise<T>): Promise<T> => {
  p.catch(() => undefined); // awaited later; this only keeps an early failure from being "unhandled"
  return p;
};

export class TreeWriter {
  readonly counters: TreeWriterCounters = { files: 0, dirs: 0, bytes: 0, readBytes: 0, unchangedFiles: 0, skipped: 0, skippedXattrs: 0 };
  /**
   * The parent snapshot's trees this one no longer names as they were: a changed directory's old
   * tree, and each old subdirectory tree its new tree does not name (gone, or no longer a plain
   * directory). The parent's trees the walk read anyway, so a caller releasing the parent need not
   * read them again (ops/backup-local.ts).
   */
  readonly replaced = new Map<Digest, Descriptor>();
  /** The parent's trees the walk compared with a directory (read): below any other replaced tree, nothing was looked at. */
  private readonly compared = new Set<Digest>();
  private readonly hardlinks = new Map<string, Promise<StoreOutcome>>();
  private rootDev = '';

  constructor(private readonly opts: TreeWriterOptions) {}

  /** Snapshots the directory `root`; `parentTree` is the previous snapshot's root tree. */
  async writeRoot(root: string, parentTree?: Descriptor): Promise<{ tree: Descriptor; root: RootMeta }> {
    const st = await new Promise<BigIntStats>((res, rej) => lstat(root, { bigint: true }, (e, s) => (e ? rej(e) : res(s))));
    const self = scanEntry(Buffer.from('.'), st);
    this.rootDev = self.dev;
    const xattrs = readXattrs(root);
    const meta: RootMeta = { uid: self.uid, gid: self.gid, mode: self.mode, mtime: self.mtime, ...(xattrs ? { xattrs } : {}) };
    const dir = HostDir.root(root);
    const tree = await (await this.walkDir(dir, this.scan(dir.path, dir.alias, parentTree?.digest))).stored;
    return { tree: { mediaType: MediaType.LifeboatTree, ...tree }, root: meta };
  }

  /** A directory's listing and, when the parent snapshot had it (`parent`), that tree, compared by a worker. */
  private scan(path: HostPath, alias: string, parent: Digest | undefined): Ahead {
    const { content, pool } = this.opts;
    const job = { kind: 'dir' as const, path, alias, ...(parent ? { parent: { paths: { ingestDir: content.ingestDir, blobsDir: content.blobsDir }, digest: parent } } : {}) };
    return quiet(
      pool.run(job, true).then(
        (r): Scanned => {
          if (r.kind !== 'dir') throw new Error('unexpected worker result');
          if (r.same) return { same: r.same, blob: { digest: parent!, size: r.size } };
          const tree = r.parent && { tree: JSON.parse(r.parent.json) as Tree, json: r.parent.json, blob: { digest: parent!, size: r.parent.size } };
          return { scan: JSON.parse(r.scan) as ScanEntry[], parent: tree };
        },
        async (err: unknown) => {
          const bad = err instanceof IntegrityError ? err.data.quarantine : undefined;
          if (isDigest(bad)) await content.quarantine(bad);
          throw err;
        },
      ),
    );
  }

  /**
   * Walks one directory (and, recursively, its subdirectories), handing its files to the workers.
   * Resolves once walked, with a promise of the stored tree: the walk goes on while the workers
   * still read this directory's files (pool.ready() bounds how far ahead).
   */
  private async walkDir(dir: HostDir, mine: Ahead): Promise<{ stored: Promise<StoredTree> }> {
    if (this.opts.signal?.aborted) throw this.opts.signal.reason;
    const scanned = await mine;
    if (scanned.same) return { stored: Promise.resolve(this.keep(scanned.same, scanned.blob)) };
    const { scan, parent } = scanned;
    const previous = new Map<string, TreeEntry>();
    for (const e of parent?.tree.entries ?? []) previous.set(entryName(e).toString('latin1'), e);
    const ahead = new Map<number, Ahead>();
    const lookAhead = (from: number) => {
      for (let j = from, n = 0; j < scan.length && n < AHEAD; j++) {
        const s = scan[j]!;
        if (s.type !== 'dir' || s.dev !== this.rootDev) continue;
        n++;
        const name = Buffer.from(s.name, 'latin1');
        const alias = dir.childAlias(name);
        if (ahead.has(j) || alias === undefined) continue; // names that are not UTF-8: scanned once opened
        const prev = previous.get(s.name);
        ahead.set(j, this.scan(dir.child(name), alias, prev?.type === 'dir' ? prev.tree : undefined));
      }
    };
    lookAhead(0);

    const entries = new DirEntries();
    const tasks: FileTask[] = [];
    let taskBytes = 0;
    for (let i = 0; i < scan.length; i++) {
      const s = scan[i]!;
      if (!s.type) {
        this.counters.skipped++;
        continue;
      }
      const name = Buffer.from(s.name, 'latin1');
      const entry = scannedEntry(s, s.type, name);
      if (s.xattrsUnreadable) this.counters.skippedXattrs++;
      const prev = previous.get(s.name);
      if (s.type === 'dir') {
        taskBytes = 0;
        await this.flushTasks(tasks);
        lookAhead(i + 1);
        const slot = entries.reserve();
        (await this.dirEntry(dir, name, s, entry, prev, ahead.get(i))).done.then((e) => entries.fill(slot, e), (err) => entries.fail(err));
        ahead.delete(i);
        continue;
      }
      if (s.type !== 'file') {
        entries.push(entry);
        continue;
      }
      if (this.fileEntry(dir.child(name), s, entry, prev, entries, tasks)) taskBytes += s.size;
      if (tasks.length >= GROUP_FILES || taskBytes >= GROUP_BYTES) {
        taskBytes = 0;
        await this.flushTasks(tasks);
      }
    }
    await this.flushTasks(tasks);
    entries.close();
    const stored = quiet(entries.tree.then((tree) => this.storeTree(tree, parent)));
    return { stored }; // wrapped: an async function would otherwise wait for it
  }

  /** Writes a tree blob, unless the directory encodes exactly as in the parent snapshot. */
  private storeTree(tree: Tree, parent: Parent | undefined): StoredTree {
    const json = JSON.stringify(tree); // = encodeTree's bytes
    const same = parent !== undefined && parent.json === json;
    if (parent) this.compared.add(parent.blob.digest);
    if (parent && !same) this.noteReplaced(tree, parent);
    const stored = same ? parent.blob : this.putTree(compressTreeJson(Buffer.from(json)));
    this.opts.feed.refer({ mediaType: MediaType.LifeboatTree, ...stored }, treeChildren(tree));
    return stored;
  }

  /** A directory its worker found unchanged: the parent's tree blob, counted as the walk would have. */
  private keep(same: SameDir, blob: StoredTree): StoredTree {
    const c = this.counters;
    c.files += same.files;
    c.unchangedFiles += same.files;
    c.bytes += same.bytes;
    c.skipped += same.skipped;
    c.skippedXattrs += same.skippedXattrs;
    this.compared.add(blob.digest);
    this.opts.feed.refer({ mediaType: MediaType.LifeboatTree, ...blob }, same.children);
    return blob;
  }

  /**
   * Replaced trees the walk did not compare with a directory (a gone directory, one that became a
   * mount point): the trees below them were never read, so a release has to walk them. Only after
   * the walk.
   */
  unreadReplaced(): Descriptor[] {
    return [...this.replaced.values()].filter((d) => !this.compared.has(d.digest));
  }

  /** A changed directory: its old tree, and each old subdirectory tree the new one no longer names. */
  private noteReplaced(tree: Tree, parent: Parent): void {
    this.replaced.set(parent.blob.digest, { mediaType: MediaType.LifeboatTree, ...parent.blob });
    const named = new Set(tree.entries.flatMap((e) => (e.type === 'dir' && e.tree ? [e.tree] : [])));
    for (const e of parent.tree.entries) {
      if (e.type === 'dir' && e.tree && !named.has(e.tree)) this.replaced.set(e.tree, { mediaType: MediaType.LifeboatTree, digest: e.tree, size: e.treeSize ?? 0 });
    }
  }

  /** A tree blob into the store (durably, in the batch) and into the sink, if any. */
  private putTree(bytes: Buffer): StoredTree {
    const stored = this.opts.blobs.blob(bytes);
    this.opts.feed.tree(stored.digest, bytes);
    return stored;
  }

  /** Sends the collected files to the workers as one job, once the queue has room (bounded memory). */
  private async flushTasks(tasks: FileTask[]): Promise<void> {
    if (tasks.length === 0) return;
    const group = tasks.splice(0);
    const { pool, chunker } = this.opts;
    await pool.ready();
    const job = { kind: 'store' as const, chunker, files: group.map((t) => t.path), sizes: group.map((t) => t.size), previous: group.map((t) => t.previous ?? null) };
    pool.run(job).then(
      (r) => {
        if (r.kind !== 'store') throw new Error('unexpected worker result');
        r.files.forEach((o, i) => group[i]!.done(o));
      },
      (err) => group.forEach((t) => t.fail(err)),
    ).catch((err) => group.forEach((t) => t.fail(err)));
  }

  /** Walks a subdirectory; resolves when walked, with a promise of its finished entry. */
  private async dirEntry(dir: HostDir, name: Buffer, s: ScanEntry, entry: TreeEntry, prev: TreeEntry | undefined, ahead: Ahead | undefined): Promise<{ done: Promise<TreeEntry | undefined> }> {
    this.counters.dirs++;
    let sub: HostDir;
    try {
      sub = await dir.subdir(name);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { done: Promise.resolve(undefined) }; // deleted since the scan
      throw err;
    }
    let stored: Promise<StoredTree>;
    try {
      if (dir.childAlias(name) === undefined) {
        const xattrs = readXattrs(sub.selfAlias);
        if (xattrs) entry.xattrs = xattrs;
      }
      if (s.dev !== this.rootDev) {
        this.counters.skipped++; // a mount point: kept as an empty directory
        stored = Promise.resolve(this.storeTree({ entries: [] }, undefined));
      } else {
        const mine = ahead ?? this.scan(sub.path, sub.alias, prev?.type === 'dir' ? prev.tree : undefined);
        stored = (await this.walkDir(sub, mine)).stored;
      }
    } finally {
      await sub.close(); // the walk is done with it; workers read files by path
    }
    const done = stored.then((tree) => {
      entry.tree = tree.digest;
      entry.treeSize = tree.size;
      return entry;
    });
    return { done };
  }

  /**
   * A file's entry into `entries`: at once when unchanged since the parent (or another link of its
   * inode was read already), else once a worker has read it. True when the file joined `tasks`.
   */
  private fileEntry(path: HostPath, s: ScanEntry, entry: TreeEntry, prev: TreeEntry | undefined, entries: DirEntries, tasks: FileTask[]): boolean {
    const unchanged = unchangedChunks(s, entry, prev);
    if (unchanged) {
      this.counters.unchangedFiles++;
      entries.push(this.finish(entry, { chunks: unchanged, size: s.size })!);
      return false;
    }
    const slot = entries.reserve();
    const link = s.nlink > 1 ? this.hardlinks.get(s.inode) : undefined;
    if (link) {
      link.then((o) => entries.fill(slot, this.finish(entry, o)), (err) => entries.fail(err));
      return false;
    }
    const read = (o: StoreOutcome): void => {
      if (!('gone' in o)) {
        this.counters.readBytes += o.size;
        this.opts.onRead?.(o.size);
      }
      entries.fill(slot, this.finish(entry, o));
    };
    const previous = prev?.type === 'file' ? prev.chunks : undefined;
    const task: FileTask = { path, size: s.size, ...(previous ? { previous } : {}), done: read, fail: (err) => entries.fail(err) };
    if (s.nlink > 1) {
      // Other links of this inode (in any directory) take this read's outcome.
      this.hardlinks.set(
        s.inode,
        quiet(
          new Promise<StoreOutcome>((resolve, reject) => {
            task.done = (o) => (read(o), resolve(o));
            task.fail = (err) => (entries.fail(err), reject(err));
          }),
        ),
      );
    }
    tasks.push(task);
    return true;
  }

  private finish(entry: TreeEntry, outcome: StoreOutcome): TreeEntry | undefined {
    if ('gone' in outcome) return undefined;
    this.counters.files++;
    this.counters.bytes += outcome.size;
    return withContent(entry, outcome.size, outcome.chunks);
  }
}

