/**
 * The messages between the main thread and the I/O workers (io-worker.ts, worker-pool.ts), and how
 * an error crosses the thread boundary: structured clone keeps only a plain Error, so Lifeboat
 * errors travel as their code, exit status, message, hint and data, and system errors as their
 * errno code, and are rebuilt on the main thread (integrity errors stay IntegrityErrors).
 */
import type { ChunkerParams } from '../core/chunker.js';
import type { Digest } from '../core/digest.js';
import type { ContentRef } from '../core/volume-snapshot-format.js';
import { ExitCode, IntegrityError, LifeboatError } from '../core/errors.js';
import type { StorePaths } from './blob-files.js';
import type { HostPath } from './host-dir.js';
import type { RestoreFileJob } from './restore-file-sync.js';
import type { SameDir } from './scanned-entry.js';
import type { StoredFile } from './store-file-sync.js';

export type Job =
  /**
   * New chunks go to the main thread in segments (chunk-outbox.ts), which hands them to the sink.
   * `previous`: per file, its chunks in the parent snapshot (a changed file mostly keeps them).
   */
  | { kind: 'store'; chunker: ChunkerParams; files: HostPath[]; sizes: number[]; previous?: Array<ContentRef[] | null> }
  | { kind: 'restore'; paths: StorePaths; sameOwner: boolean; isRoot: boolean; files: RestoreFileJob[] }
  /** syncfs(2) on the filesystem holding `path`: the slow part of a batch flush, off the main thread. */
  | { kind: 'syncfs'; path: string }
  /**
   * One directory of a snapshot walk: its listing with lstat, xattrs and link targets
   * (scan-dir-sync.ts) and, with `parent`, its tree in the parent snapshot, read, verified and
   * validated (tree-read-sync.ts), then compared with the listing (scanned-entry.ts sameLeaf).
   */
  | { kind: 'dir'; path: HostPath; alias: string; parent?: { paths: StorePaths; digest: Digest } };

/** Stored chunks a worker posts to the main thread: back to back in `bytes` (transferred). */
export interface Segment {
  digests: Digest[];
  sizes: number[];
  bytes: ArrayBuffer;
}

/** `gone`: the file vanished between lstat and open (left out of the snapshot, as restic does). */
export type StoreOutcome = StoredFile | { gone: true };

export type JobResult =
  | { kind: 'store'; files: StoreOutcome[] }
  | { kind: 'restore'; written: number; skippedXattrs: number }
  | { kind: 'syncfs' }
  /** The directory is its parent tree exactly (of `size` stored bytes): what the walk counts for it. */
  | { kind: 'dir'; same: SameDir; size: number }
  /**
   * Otherwise the listing, as JSON of ScanEntry[] (one string crosses threads far cheaper than
   * thousands of objects), and the parent tree's JSON text (validated) and stored size.
   */
  | { kind: 'dir'; same?: undefined; scan: string; parent?: { json: string; size: number } };

export interface WireError {
  message: string;
  lifeboat?: { code: string; exitCode: number; hint?: string; data: Record<string, unknown> };
  errno?: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof LifeboatError) return { message: err.message, lifeboat: { code: err.code, exitCode: err.exitCode, ...(err.hint ? { hint: err.hint } : {}), data: err.data } };
  if (err instanceof Error) return { message: err.message, ...((err as NodeJS.ErrnoException).code ? { errno: (err as NodeJS.ErrnoException).code } : {}) };
  return { message: String(err) };
}

export function fromWire(w: WireError): Error {
  if (w.lifeboat) {
    const { code, exitCode, hint, data } = w.lifeboat;
    if (exitCode === ExitCode.INTEGRITY) return new IntegrityError(w.message, { code, data, ...(hint ? { hint } : {}) });
    return new LifeboatError(code, exitCode as ExitCode, w.message, { data, ...(hint ? { hint } : {}) });
  }
  const err = new Error(w.message) as NodeJS.ErrnoException;
  if (w.errno) err.code = w.errno;
  return err;
}

/** Paths arrive in a worker as Uint8Array when they were Buffers. */
export function hostPath(p: HostPath | Uint8Array): HostPath {
  return typeof p === 'string' ? p : Buffer.from(p.buffer, p.byteOffset, p.byteLength);
}
