/**
 * One regular file of a snapshot → a new file on disk, synchronously (in an I/O worker thread).
 * Every chunk is verified end to end: the stored bytes against the digest that names them, then,
 * for compressed chunks, the decompressed bytes against the raw digest and length in the tree.
 * Holes are skipped and the file is extended by ftruncate, so sparse files stay sparse. Metadata in
 * the order that keeps every bit (owner, xattrs, mode, times; see node-apply.ts), on the open fd.
 * The file is created where the caller says (a temporary name when its real name is not UTF-8)
 * and renamed to its final name when complete.
 *
 * A chunk's stored bytes come straight out of a pack file (`PackSpan`: one of the content store's
 * packs, a local repository's own pack, or the ranges of a remote one fetched into the restore's
 * scratch directory), or, for chunks stored before the store had packs, from a blob file. A pack may hold the stored
 * bytes zstd-encoded once more; they are decoded here and then verified exactly as a blob file's.
 */
import { closeSync, fchmodSync, fchownSync, ftruncateSync, futimesSync, openSync, readSync, renameSync, writeSync } from 'node:fs';
import zstd from 'zstd-napi/binding.js';
import { DigestMismatchError, IntegrityError, SizeMismatchError } from '../core/errors.js';
import type { PackSpan } from '../core/pack-format.js';
import { isHole, type ChunkRef, type TreeEntry } from '../core/volume-snapshot-format.js';
import { readBlobInto, type StorePaths } from './blob-files.js';
import { isAllZero, sha256Of, type ChunkCodec } from './chunk-codec.js';
import type { HostPath } from './host-dir.js';
import { applyXattrs, utimesSeconds, type ApplyPolicy } from './node-apply.js';

export interface RestoreFileJob {
  /** Where the file is created. */
  create: HostPath;
  /** A string path to `create` for the native xattr calls. */
  alias: string;
  /** Its final name, when `create` is a temporary one. */
  final?: HostPath;
  entry: Pick<TreeEntry, 'uid' | 'gid' | 'mode' | 'mtime' | 'xattrs' | 'chunks' | 'size'>;
  /** Where each of `entry.chunks` is read from instead of the store (null for holes). */
  spans?: Array<PackSpan | null>;
}


/** Per-worker state for restoring: the codec and the read buffer, reused for every chunk. */
export interface RestoreContext {
  paths: StorePaths;
  codec: ChunkCodec;
  buf: Buffer;
  /** A pack span's bytes as they sit in the pack, before its own zstd is undone. */
  packBuf?: Buffer;
  /** Pack files open during one job (closed by closePacks). */
  packs?: Map<string, number>;
}

/** Closes the pack files a job opened. */
export function closePacks(ctx: RestoreContext): void {
  for (const fd of ctx.packs?.values() ?? []) closeSync(fd);
  ctx.packs?.clear();
}

function grown(buf: Buffer | undefined, size: number): Buffer {
  return buf && buf.length >= size ? buf : Buffer.allocUnsafe(Math.max(size, 64 * 1024));
}

/** The stored bytes of a chunk at `span` (unverified: the caller verifies). */
function readSpanSync(ctx: RestoreContext, span: PackSpan, ref: ChunkRef): Buffer {
  ctx.packs ??= new Map();
  let fd = ctx.packs.get(span.file);
  if (fd === undefined) {
    fd = openSync(span.file, 'r');
    ctx.packs.set(span.file, fd);
  }
  const target = span.zstd ? (ctx.packBuf = grown(ctx.packBuf, span.length)) : (ctx.buf = grown(ctx.buf, span.length));
  let n = 0;
  for (let r = 1; r > 0 && n < span.length; n += r) r = readSync(fd, target, n, span.length - n, span.offset + n);
  if (n !== span.length) throw new SizeMismatchError(span.length, n, `chunk ${ref.digest} in pack ${span.file}`);
  if (!span.zstd) return target.subarray(0, n);
  ctx.buf = grown(ctx.buf, ref.size);
  let size: number;
  try {
    size = zstd.decompress(ctx.buf.subarray(0, ref.size), target.subarray(0, n));
  } catch (err) {
    throw new IntegrityError(`chunk ${ref.digest} in pack ${span.file} does not decompress: ${(err as Error).message}`, { code: 'BAD_BLOB' });
  }
  return ctx.buf.subarray(0, size);
}

/**
 * A chunk's raw bytes, verified end to end (valid until the next call). An IntegrityError names a
 * bad blob in data.quarantine.
 */
export function readChunkSync(ctx: RestoreContext, ref: ChunkRef, span?: PackSpan | null): Buffer {
  let bytes: Buffer;
  if (span) {
    bytes = readSpanSync(ctx, span, ref);
  } else {
    const read = readBlobInto(ctx.paths, ref.digest, ref.size, ctx.buf);
    if (!read) throw new IntegrityError(`chunk ${ref.digest} is missing from the store`, { code: 'MISSING_BLOB', data: { digest: ref.digest } });
    ctx.buf = read.buf;
    bytes = read.bytes;
  }
  const actual = sha256Of(bytes);
  if (actual !== ref.digest) {
    const err = new DigestMismatchError(ref.digest, actual, span ? `chunk in pack ${span.file}` : 'stored chunk');
    if (!span || span.quarantine) err.data.quarantine = ref.digest; // the store heals by storing it again; a repository's pack is not ours
    throw err;
  }
  return ctx.codec.decode(bytes, ref);
}

const BLOCK = 4096;

/**
 * Writes `data` at `pos`, leaving all-zero 4 KiB blocks (aligned to the file) unwritten: zeros in
 * a chunk that also holds data (the edge of a sparse stretch) become holes too, as `restic restore
 * --sparse` and `cp --sparse=always` do. Runs of data blocks go out in one write. The final
 * ftruncate gives the file its full size.
 */
function writeSparse(fd: number, data: Buffer, pos: number): void {
  let runStart = -1;
  const flush = (end: number) => {
    for (let w = runStart; w < end; ) w += writeSync(fd, data, w, end - w, pos + w);
    runStart = -1;
  };
  for (let off = 0; off < data.length; ) {
    const end = Math.min(data.length, off + BLOCK - ((pos + off) % BLOCK));
    if (isAllZero(data.subarray(off, end))) {
      if (runStart >= 0) flush(off);
    } else if (runStart < 0) runStart = off;
    off = end;
  }
  if (runStart >= 0) flush(data.length);
}

/** Creates the file; returns the bytes written. */
export function restoreFileSync(ctx: RestoreContext, job: RestoreFileJob, policy: ApplyPolicy): number {
  const e = job.entry;
  const fd = openSync(job.create, 'wx', 0o600);
  let written = 0;
  try {
    let pos = 0;
    const chunks = e.chunks ?? [];
    for (let i = 0; i < chunks.length; i++) {
      const c = chunks[i]!;
      if (isHole(c)) {
        pos += c.hole;
        continue;
      }
      const data = readChunkSync(ctx, c, job.spans?.[i]);
      writeSparse(fd, data, pos);
      pos += data.length;
      written += data.length;
    }
    ftruncateSync(fd, e.size ?? pos);
    if (policy.sameOwner) fchownSync(fd, e.uid, e.gid);
    applyXattrs(job.alias, e.xattrs, policy);
    fchmodSync(fd, e.mode & 0o7777);
    const t = utimesSeconds(e.mtime);
    futimesSync(fd, t, t);
  } finally {
    closeSync(fd);
  }
  if (job.final !== undefined) renameSync(job.create, job.final);
  return written;
}
