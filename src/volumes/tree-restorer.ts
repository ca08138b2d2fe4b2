/**
 * A snapshot tree → files in a directory the restorer owns (a fresh private staging directory:
 * nothing else writes there, so no symlink can be planted under our feet, and the paths we build
 * contain only directories we created).
 *
 * The main thread walks the trees, creating directories, symlinks, FIFOs and devices itself, and
 * hands regular files in groups to the I/O workers (restore-file-sync.ts: every chunk verified,
 * holes left as holes, metadata on the open fd) while it walks on. A directory's own metadata is
 * applied once everything in it is done (creating children moves its mtime). Files of one inode
 * become hardlinks again. Names that are not UTF-8 are created under a temporary UTF-8 name (the
 * native xattr calls need a string path) and renamed to their raw bytes once complete. Devices
 * need root and are counted when skipped. A chunk that fails verification is quarantined.
 *
 * Chunks are read out of the store's packs (or, stored before packs, its blob files), or, when
 * `spans` is given (a restore from a repository), out of the pack files it names; trees always
 * come from `content`.
 *
 * `patch` turns a directory that holds snapshot A (restored earlier by this class, and private
 * since) into snapshot B: a subtree whose tree digest did not change is not even read, an entry
 * equal in every recorded field is kept, a changed one is removed (never followed: rm of a symlink
 * removes the link) and created afresh, and what B lacks is removed. Directories touched get their
 * metadata again at the end. Hardlinks are the one thing it does not patch: a changed, added or
 * removed entry with more than one link throws, and the caller restores afresh.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { Digest } from '../core/digest.js';
import { isDigest } from '../core/digest.js';
import { IntegrityError } from '../core/errors.js';
import { entryName, entryTarget, isHole, type TreeEntry } from '../core/volume-snapshot-format.js';
import type { LocalContentStore } from '../content/local-store.js';
import { native, S_IFBLK, S_IFCHR, S_IFIFO } from '../platform/native.js';
import { HostDir, type HostPath } from './host-dir.js';
import type { PackSpan } from '../core/pack-format.js';
import type { RestoreFileJob } from './restore-file-sync.js';
import { applyMeta, applyMetaSync, defaultPolicy, type ApplyPolicy } from './node-apply.js';
import type { PathFilter } from './path-filter.js';
import { sameEntry } from './snapshot-diff.js';
import { loadTree } from './tree-io.js';
import type { WorkerPool } from './worker-pool.js';

export interface RestoreCounters {
  files: number;
  dirs: number;
  bytes: number;
}

export interface TreeRestorerOptions {
  content: LocalContentStore;
  /** Where every chunk is read from, when not from `content` (see restore-file-sync.ts). */
  spans?: ReadonlyMap<Digest, PackSpan>;
  pool: WorkerPool;
  filter?: PathFilter;
  policy?: ApplyPolicy;
  onWrite?: (bytes: number) => void;
  signal?: AbortSignal;
}

const GROUP_FILES = 64;
const GROUP_BYTES = 16 * 1024 * 1024;

interface Group {
  jobs: RestoreFileJob[];
  /** Called when the job at the same index is done (hardlink sources). */
  after: Array<(() => void) | undefined>;
  bytes: number;
}

export class TreeRestorer {
  readonly counters: RestoreCounters = { files: 0, dirs: 0, bytes: 0 };
  readonly policy: ApplyPolicy;
  private readonly hardlinks = new Map<string, Promise<HostPath>>();

  constructor(private readonly opts: TreeRestorerOptions) {
    this.policy = opts.policy ?? defaultPolicy();
  }

  /** Restores the tree `digest` into the existing, empty directory `target` (its own metadata is the caller's). */
  async restore(target: string, digest: Digest): Promise<void> {
    await this.opts.content.packs.ready();
    await (await this.walk(HostDir.root(target), digest, [])).done;
  }

  /** Makes `target`, which holds the tree `base` exactly, hold the tree `digest` (its own metadata is the caller's). */
  async patch(target: string, base: Digest, digest: Digest): Promise<void> {
    if (this.opts.filter) throw new Error('a patch restores whole trees');
    await this.opts.content.packs.ready();
    await (await this.walkPatch(HostDir.root(target), base, digest)).done;
  }

  /**
   * One directory of a patch. A failure part-way (a changed hardlink, an I/O error) waits for the
   * files already handed to the workers before it is thrown, so the caller can remove the
   * directory without a worker still writing into it.
   */
  private async walkPatch(dir: HostDir, base: Digest, digest: Digest): Promise<{ done: Promise<void> }> {
    if (this.opts.signal?.aborted) throw this.opts.signal.reason;
    const [was, tree] = await Promise.all([loadTree(this.opts.content, base), loadTree(this.opts.content, digest)]);
    const old = new Map(was.entries.map((e) => [entryName(e).toString('hex'), e]));
    const pending: Array<Promise<unknown>> = [];
    const track = (p: Promise<unknown>) => {
      p.catch(() => undefined);
      pending.push(p);
    };
    const group: Group = { jobs: [], after: [], bytes: 0 };
    const flush = async () => {
      if (group.jobs.length === 0) return;
      await this.opts.pool.ready();
      track(this.send(group));
    };
    const linked = (e: TreeEntry | undefined) => e !== undefined && e.type === 'file' && (e.nlink ?? 1) > 1;
    // Hardlinks are not patched: an entry of a link group counts as changed unless it is the same
    // node in the same group, and any change to one throws below.
    const same = (b: TreeEntry, e: TreeEntry) => sameEntry(b, e) && (b.nlink ?? 1) === (e.nlink ?? 1) && (!linked(e) || b.inode === e.inode);
    try {
      for (const e of tree.entries) {
        const name = entryName(e);
        const key = name.toString('hex');
        const b = old.get(key);
        old.delete(key);
        if (b && same(b, e)) continue;
        if (linked(b) || linked(e)) throw new Error('a hardlinked file changed');
        if (b?.type === 'dir' && e.type === 'dir') {
          await flush();
          const sub = await dir.subdir(name);
          let inner: Promise<void> = Promise.resolve();
          try {
            if (b.tree !== e.tree) inner = (await this.walkPatch(sub, b.tree!, e.tree!)).done;
          } catch (err) {
            await sub.close();
            throw err;
          }
          track(inner.then(() => applyMeta(sub.path, sub.selfAlias, e, this.policy)).finally(() => sub.close()));
          continue;
        }
        if (b) rmSync(dir.child(name), { recursive: true, force: true });
        if (e.type === 'dir') {
          await flush();
          track((await this.subdir(dir, name, e, [])).done);
        } else if (e.type === 'file') {
          this.file(dir, name, e, group);
          if (group.jobs.length >= GROUP_FILES || group.bytes >= GROUP_BYTES) await flush();
        } else {
          this.special(dir, name, e);
        }
      }
      for (const b of old.values()) {
        if (linked(b)) throw new Error('a hardlinked file was removed');
        rmSync(dir.child(entryName(b)), { recursive: true, force: true });
      }
    } catch (err) {
      await Promise.allSettled(pending);
      throw err;
    }
    await flush();
    const done = Promise.all(pending).then(() => undefined);
    done.catch(() => undefined);
    return { done };
  }

  /** Creates what is in one tree; resolves once walked, with a promise that everything in it is done. */
  private async walk(dir: HostDir, digest: Digest, at: Buffer[]): Promise<{ done: Promise<void> }> {
    if (this.opts.signal?.aborted) throw this.opts.signal.reason;
    const tree = await loadTree(this.opts.content, digest);
    const pending: Array<Promise<unknown>> = [];
    const track = (p: Promise<unknown>) => {
      p.catch(() => undefined); // awaited with the others below
      pending.push(p);
    };
    const group: Group = { jobs: [], after: [], bytes: 0 };
    const flush = async () => {
      if (group.jobs.length === 0) return;
      await this.opts.pool.ready(); // a bounded queue: the walk waits for the workers
      track(this.send(group));
    };
    for (const e of tree.entries) {
      const name = entryName(e);
      const components = [...at, name];
      const match = this.opts.filter ? this.opts.filter.match(components) : 'inside';
      if (!match) continue;
      if (e.type === 'dir') {
        await flush();
        track((await this.subdir(dir, name, e, components)).done);
      } else if (match === 'inside') {
        if (e.type === 'file') {
          const link = this.file(dir, name, e, group);
          if (link) track(link);
          if (group.jobs.length >= GROUP_FILES || group.bytes >= GROUP_BYTES) await flush();
        } else {
          this.special(dir, name, e);
        }
      }
    }
    await flush();
    const done = Promise.all(pending).then(() => undefined);
    done.catch(() => undefined);
    return { done };
  }

  private async subdir(dir: HostDir, name: Buffer, e: TreeEntry, components: Buffer[]): Promise<{ done: Promise<void> }> {
    mkdirSync(dir.child(name), 0o700);
    this.counters.dirs++;
    const sub = await dir.subdir(name);
    let inner: Promise<void>;
    try {
      inner = (await this.walk(sub, e.tree!, components)).done;
    } catch (err) {
      await sub.close();
      throw err;
    }
    const done = inner.then(() => applyMeta(sub.path, sub.selfAlias, e, this.policy)).finally(() => sub.close());
    return { done };
  }

  /** Queues a regular file; returns the promise of a hardlink to make, if it is one. */
  private file(dir: HostDir, name: Buffer, e: TreeEntry, group: Group): Promise<void> | undefined {
    const final = dir.child(name);
    const linked = e.nlink !== undefined && e.nlink > 1 && e.inode !== undefined;
    const first = linked ? this.hardlinks.get(e.inode!) : undefined;
    if (first) return first.then((source) => linkSync(source, final));
    const temp = isUtf8(name) ? undefined : Buffer.from(`.lifeboat-restore-${randomBytes(6).toString('hex')}`);
    const create = temp ? dir.child(temp) : final;
    group.jobs.push({ create, alias: dir.childAlias(temp ?? name)!, ...(temp ? { final } : {}), entry: e, spans: this.spansOf(e) });
    group.bytes += e.size ?? 0;
    this.counters.files++;
    let after: (() => void) | undefined;
    if (linked) this.hardlinks.set(e.inode!, new Promise<HostPath>((resolve) => (after = () => resolve(final))));
    group.after.push(after);
    return undefined;
  }

  private spansOf(e: TreeEntry): Array<PackSpan | null> {
    return (e.chunks ?? []).map((c) => {
      if (isHole(c)) return null;
      if (!this.opts.spans) return this.opts.content.packs.span(c.digest) ?? null; // null: a blob file
      const span = this.opts.spans.get(c.digest);
      if (!span) throw new IntegrityError(`chunk ${c.digest} was not fetched for this restore`, { code: 'MISSING_BLOB', data: { digest: c.digest } });
      return span;
    });
  }

  /** Sends the queued files to a worker; resolves when they are written. */
  private async send(group: Group): Promise<void> {
    const jobs = group.jobs.splice(0);
    const after = group.after.splice(0);
    group.bytes = 0;
    const { pool, content } = this.opts;
    try {
      const r = await pool.run({ kind: 'restore', paths: { ingestDir: content.ingestDir, blobsDir: content.blobsDir }, sameOwner: this.policy.sameOwner, isRoot: this.policy.isRoot, files: jobs });
      if (r.kind !== 'restore') throw new Error('unexpected worker result');
      this.counters.bytes += r.written;
      this.policy.skipped.xattrs += r.skippedXattrs;
      this.opts.onWrite?.(r.written);
    } catch (err) {
      const bad = err instanceof IntegrityError ? err.data.quarantine : undefined;
      if (isDigest(bad)) await content.quarantine(bad); // the next write of this chunk heals the store
      throw err;
    }
    for (const a of after) a?.();
  }

  /** Symlinks, FIFOs and devices, on this thread. */
  private special(dir: HostDir, name: Buffer, e: TreeEntry): void {
    if ((e.type === 'char' || e.type === 'block') && !this.policy.isRoot) {
      this.policy.skipped.devices++;
      return;
    }
    const temp = isUtf8(name) ? undefined : Buffer.from(`.lifeboat-restore-${randomBytes(6).toString('hex')}`);
    const path = dir.child(temp ?? name);
    const alias = dir.childAlias(temp ?? name)!;
    if (e.type === 'symlink') symlinkSync(entryTarget(e), path);
    else if (e.type === 'fifo') native.mknod(alias, S_IFIFO | (e.mode & 0o777), 0, 0);
    else native.mknod(alias, (e.type === 'char' ? S_IFCHR : S_IFBLK) | (e.mode & 0o777), e.devmajor!, e.devminor!);
    applyMetaSync(path, alias, e, this.policy);
    if (temp) renameSync(path, dir.child(name));
  }
}
