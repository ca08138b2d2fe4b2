/**
 * Blob files written and read without the async blob writer, for the snapshot's trees (written on
 * the main thread in a durability batch) and the restore's chunks stored before the store had
 * packs (read in worker threads, see io-worker.ts, where async fs costs more than the syscall).
 *
 * Same protocol as content/blob-writer.ts in a durability batch: the bytes go to a fresh temp file
 * in ingest/ (named <pid>-<random>, so cleanIngest recognizes it once this process is gone), the
 * caller adds it to a DurabilityBatch, and the batch's flush makes it durable (one syncfs) before
 * it is renamed to blobs/sha256/<hex>. The digest was computed over the very buffer written here,
 * which is what the writer's hash-while-writing checks; a blob already present with the right size
 * is not written again.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hexOf, type Digest } from '../core/digest.js';
import { isErrno } from '../core/errors.js';

export interface StorePaths {
  ingestDir: string;
  blobsDir: string;
}

/** A blob written to ingest/ and not yet committed. */
export interface StagedBlob {
  digest: Digest;
  tmp: string;
  size: number;
}

export function blobFile(paths: StorePaths, digest: Digest): string {
  return join(paths.blobsDir, hexOf(digest));
}

export function blobExists(paths: StorePaths, digest: Digest, size: number): boolean {
  try {
    return statSync(blobFile(paths, digest)).size === size;
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return false;
    throw err;
  }
}

export function stageBlob(paths: StorePaths, digest: Digest, bytes: Uint8Array): StagedBlob {
  const tmp = join(paths.ingestDir, `${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    for (let off = 0; off < bytes.byteLength; ) off += writeSync(fd, bytes, off, bytes.byteLength - off);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  return { digest, tmp, size: bytes.byteLength };
}

/**
 * A committed blob's bytes read into `buf` (grown when too small; the caller keeps the returned
 * buffer for the next call), unverified: callers verify. Reads one byte more than `size` so a blob
 * of the wrong length shows. Undefined when the blob is absent.
 */
export function readBlobInto(paths: StorePaths, digest: Digest, size: number, buf: Buffer): { bytes: Buffer; buf: Buffer } | undefined {
  let fd: number;
  try {
    fd = openSync(blobFile(paths, digest), 'r');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw err;
  }
  try {
    const target = buf.length >= size + 1 ? buf : Buffer.allocUnsafe(size + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < size + 1; n += r) r = readSync(fd, target, n, size + 1 - n, null);
    return { bytes: target.subarray(0, n), buf: target };
  } finally {
    closeSync(fd);
  }
}
