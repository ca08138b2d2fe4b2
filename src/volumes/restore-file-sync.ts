/**
 * One regular file of a snapshot → a new file on disk, synchronously (in an I/O worker thread).
 * Every chunk is verified end to end: the stored bytes against the digest that names them, then,
 * for compressed chunks, the decompressed bytes against the raw digest and length in the tree.
 * Holes are skipped and the file is extended by ftruncate, so sparse files stay sparse. Metadata in
 * the order that keeps every bit (owner, xattrs, mode, times; see node-apply.ts), on the open fd.
 * The file is created where the caller says (a temporary name when its real name is not UTF-8)
 * and renamed to its final name when complete.
 */
import { closeSync, fchmodSync, fchownSync, ftruncateSync, futimesSync, openSync, renameSync, writeSync } from 'node:fs';
import { DigestMismatchError, IntegrityError } from '../core/errors.js';
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
}

/** Per-worker state for restoring: the codec and the read buffer, reused for every chunk. */
export interface RestoreContext {
  paths: StorePaths;
  codec: ChunkCodec;
  buf: Buffer;
}

/**
 * A chunk's raw bytes, verified end to end (valid until the next call). An IntegrityError names a
 * bad blob in data.quarantine.
 */
export function readChunkSync(ctx: RestoreContext, ref: ChunkRef): Buffer {
  const read = readBlobInto(ctx.paths, ref.digest, ref.size, ctx.buf);
  if (!read) throw new IntegrityError(`chunk ${ref.digest} is missing from the store`, { code: 'MISSING_BLOB', data: { digest: ref.digest } });
  ctx.buf = read.buf;
  const actual = sha256Of(read.bytes);
  if (actual !== ref.digest) {
    const err = new DigestMismatchError(ref.digest, actual, 'stored chunk');
    err.data.quarantine = ref.digest;
    throw err;
  }
  return ctx.codec.decode(read.bytes, ref);
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
    for (const c of e.chunks ?? []) {
      if (isHole(c)) {
        pos += c.hole;
        continue;
      }
      const data = readChunkSync(ctx, c);
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
