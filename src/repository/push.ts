/**
 * Push: copy the closure of some root descriptors from a local content store into a repository,
 * sending only what the repository lacks. This is the transfer under `backup` and `migrate`.
 *
 *   1. adopt orphan packs (resume: what a cut-off push uploaded whole is not sent again)
 *   2. walk the closure locally (children() reads records from the store); blobs the index has
 *      are skipped without touching the disk, every other blob is read from the store VERIFIED
 *      (a corrupt local blob never reaches a repository)
 *   3. small blobs are encoded (zstd when it pays) into packs by a few readers (a PackSink: its
 *      own, or the one a backup's snapshots already fill); each full pack is uploaded while the
 *      next fills, at most `concurrency` in flight; big blobs get a pack of their own, streamed
 *      (big-blob-pack.ts)
 *   4. index files after the packs they name (pack-uploader.ts); the caller writes its ref last
 *
 * The caller holds a repository lock (shared is enough) for the whole push and the ref after it.
 */
import type { Digest } from '../core/digest.js';
import { IntegrityError, NotFoundError, isErrno } from '../core/errors.js';
import type { Descriptor } from '../core/oci.js';
import { silentProgress, type Progress } from '../core/progress.js';
import type { LocalContentStore } from '../content/local-store.js';
import { adoptOrphans } from './adopt.js';
import { prepareBigBlobPack } from './big-blob-pack.js';
import { PACK_TARGET } from './pack-builder.js';
import { PackSink } from './pack-sink.js';
import type { UploadedPack } from './pack-uploader.js';
import type { Repository } from './repository.js';
import { forEachLimit } from '../core/semaphore.js';

/** Small blobs read from the local store at once. */
const READERS = 8;

/** The blobs a blob refers to (ops/gc.ts `childrenOf` knows every record type). */
export type Children = (desc: Descriptor) => Promise<Descriptor[]>;

export interface CopyOptions {
  /** Packs uploaded (push) or fetched (pull) at once. Default 4. */
  concurrency?: number;
  progress?: Progress;
  signal?: AbortSignal;
  /** Called after each pack arrives whole (tests cut a push here). */
  onPack?: (pack: UploadedPack) => void;
  /** Pack size target; tests use small packs. Default PACK_TARGET (16 MiB). */
  packTarget?: number;
}

/** A push that continues what a PackSink started (a backup: ops/backup-send.ts). */
export interface PushOptions extends CopyOptions {
  /** Adopt orphan packs first (default true; false when the caller already did, with the same index). */
  adopt?: boolean;
  /**
   * Pack into this sink (the one that took a backup's snapshots) instead of a sink of the push's
   * own: the caller finishes it and reports what it sent; this report's `sent` is then zero.
   */
  sink?: PackSink;
}

export interface CopyReport {
  /** Blobs and (decoded) bytes in the closure. */
  blobs: number;
  bytes: number;
  /** Blobs copied, their decoded bytes, and the bytes that went over the wire (packs, or stored blobs). */
  sent: { blobs: number; bytes: number; storedBytes: number; packs: number };
  /** Blobs the destination already had. */
  skipped: { blobs: number; bytes: number };
  /** Packs of an earlier, cut-off push taken into the index instead of being sent again. */
  adopted: { packs: number; blobs: number };
  durationMs: number;
}

interface Todo {
  digest: Digest;
  size: number;
}

export function missingBlob(d: Pick<Descriptor, 'digest' | 'mediaType'>): IntegrityError {
  return new IntegrityError(`blob ${d.digest} (${d.mediaType}) is missing from the local store`, { code: 'MISSING_BLOB', hint: 'run `lifeboat system check`; the record that names it cannot be copied whole' });
}

/**
 * The closure of `roots`, split into what the repository has and what it lacks. Sizes come from
 * the descriptors (no stat per blob: 20,000 chunks would cost 20,000 trips through the thread
 * pool); reading a blob later checks its size and digest anyway.
 */
async function walk(has: (d: Digest) => boolean, roots: Descriptor[], children: Children, signal?: AbortSignal, taken?: (d: Digest) => boolean) {
  const seen = new Set<Digest>();
  const todo: Array<Todo & { mediaType: string }> = [];
  let skippedBlobs = 0;
  let skippedBytes = 0;
  let takenBytes = 0;
  const stack = [...roots];
  while (stack.length) {
    signal?.throwIfAborted();
    const d = stack.pop()!;
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    if (taken?.(d.digest)) takenBytes += d.size; // in the sink already: neither skipped nor sent again
    else if (has(d.digest)) {
      skippedBlobs++;
      skippedBytes += d.size;
    } else todo.push({ digest: d.digest, size: d.size, mediaType: d.mediaType });
    stack.push(...(await children(d).catch((err: unknown) => Promise.reject(isErrno(err, 'ENOENT') || err instanceof NotFoundError ? missingBlob(d) : err))));
  }
  return { seen, todo, skippedBlobs, skippedBytes, takenBytes };
}

/**
 * A small blob from the store, verified. Asynchronous on purpose: a cold disk read must not stall
 * the event loop, which is also what pumps an SFTP upload; READERS of these run at once to hide
 * disk latency.
 */
async function readSmallBlob(store: LocalContentStore, t: Todo & { mediaType: string }): Promise<Buffer> {
  // readBytes re-hashes: a damaged blob file is quarantined, and a packed copy of the blob, if any,
  // read instead. Its default limit is far above the pack target, which small blobs are under.
  const data = await store.readBytes(t.digest).catch((err: unknown) => Promise.reject(err instanceof NotFoundError ? missingBlob(t) : err));
  if (data.length !== t.size) throw new IntegrityError(`blob ${t.digest} is ${data.length} bytes but its record says ${t.size}`, { code: 'SIZE_MISMATCH' });
  return data;
}

export async function pushClosure(store: LocalContentStore, repo: Repository, roots: Descriptor[], children: Children, opts: PushOptions = {}): Promise<CopyReport> {
  const started = Date.now();
  const lock = repo.assertLocked('shared');
  const signal = opts.signal ? AbortSignal.any([opts.signal, lock.signal]) : lock.signal;
  const progress = opts.progress ?? silentProgress;
  const index = await repo.index();
  const adopted = opts.adopt === false ? { packs: 0, blobs: 0 } : await adoptOrphans(repo.backend, index);
  if (adopted.packs) progress.info(`Resuming: adopted ${adopted.packs} packs (${adopted.blobs} blobs) left by an interrupted backup`);

  const { seen, todo, skippedBlobs, skippedBytes, takenBytes } = await walk((d) => index.has(d), roots, children, signal, opts.sink && ((d) => opts.sink!.took(d)));
  const target = opts.packTarget ?? PACK_TARGET;
  const big = todo.filter((t) => t.size >= target);
  const small = todo.filter((t) => t.size < target);
  const total = todo.reduce((n, t) => n + t.size, 0);
  const task = progress.task('Uploading', total);
  const sink = opts.sink ?? new PackSink(repo.backend, index, { concurrency: opts.concurrency ?? 4, packTarget: target, ...(opts.onPack ? { onPack: opts.onPack } : {}) });
  try {
    await forEachLimit(small, READERS, async (t) => {
      signal.throwIfAborted();
      await sink.room();
      await sink.pack(t.digest, await readSmallBlob(store, t));
      task.advance(t.size);
    });
    for (const t of big) {
      signal.throwIfAborted();
      const upload = await prepareBigBlobPack(store, repo.backend, t.digest, t.size).catch((err: unknown) => Promise.reject(isErrno(err, 'ENOENT') || err instanceof NotFoundError ? missingBlob(t) : err));
      await sink.upload({
        ...upload,
        put: async () => {
          try {
            await upload.put();
          } finally {
            await upload.cleanup();
          }
        },
      });
      task.advance(t.size);
    }
    if (!opts.sink) await sink.finish();
  } catch (err) {
    if (!opts.sink) await sink.abandon();
    task.done();
    throw err;
  }
  task.done();
  const sent = opts.sink ? { blobs: 0, bytes: 0, storedBytes: 0, packs: 0 } : sink.report;
  return {
    blobs: seen.size,
    bytes: total + skippedBytes + takenBytes,
    sent,
    skipped: { blobs: skippedBlobs, bytes: skippedBytes },
    adopted: { packs: adopted.packs, blobs: adopted.blobs },
    durationMs: Date.now() - started,
  };
}
