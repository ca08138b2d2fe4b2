/**
 * One regular file → its content refs, synchronously (this runs in an I/O worker thread, see
 * io-worker.ts). The file is read through one buffer per worker (max chunk + READ_SIZE, reused for
 * every file: no allocation per file), cut by the content-defined chunker, and each new chunk is
 * copied into the worker's outbox for the main thread (chunk-outbox.ts), which hands it to the
 * snapshot's sink (the store's packs, or a repository) before the buffer moves on. Reads go to
 * EOF, so a file that grew since it was stat'ed is taken whole and its size recorded from what
 * was read. O_NOATIME when allowed.
 */
import { closeSync, constants, openSync, readSync } from 'node:fs';
import type { Chunker } from '../core/chunker.js';
import { isErrno } from '../core/errors.js';
import { isHole, type ContentRef } from '../core/volume-snapshot-format.js';
import { knownChunks, type ChunkCodec } from './chunk-codec.js';
import type { ChunkOutbox } from './chunk-outbox.js';
import type { HostPath } from './host-dir.js';

const READ_SIZE = 1024 * 1024;

export interface StoreContext {
  chunker: Chunker;
  codec: ChunkCodec;
  /** New chunks go here (to the main thread). */
  out: ChunkOutbox;
  /** Reused across files; grown on first use. */
  buf?: Buffer;
}

export interface StoredFile {
  chunks: ContentRef[];
  size: number;
}

function openForRead(path: HostPath): number {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW;
  try {
    return openSync(path, flags | constants.O_NOATIME);
  } catch (err) {
    if (isErrno(err, 'EPERM')) return openSync(path, flags);
    throw err;
  }
}

/**
 * `known` is the file's size when it was scanned: a short read past it is EOF (no extra read).
 * `previous` is the file's chunk list in the parent snapshot: chunks found in it again are not
 * compressed or sent again (chunk-codec.ts); the sink's `refer` catches one the store has lost.
 */
export function storeFileSync(path: HostPath, ctx: StoreContext, known = Number.MAX_SAFE_INTEGER, previous?: readonly ContentRef[]): StoredFile {
  const { max } = ctx.chunker.params;
  const buf = (ctx.buf ??= Buffer.allocUnsafe(max + READ_SIZE));
  const chunks: ContentRef[] = [];
  const same = knownChunks(previous);
  const fd = openForRead(path);
  try {
    let start = 0;
    let end = 0;
    let eof = false;
    let read = 0;
    for (;;) {
      // Fill until a full max-size window is there (or EOF), so the chunker never scans twice.
      while (!eof && end - start < max) {
        if (end === buf.length) {
          buf.copy(buf, 0, start, end);
          end -= start;
          start = 0;
        }
        const want = Math.min(READ_SIZE, buf.length - end);
        const n = readSync(fd, buf, end, want, null);
        end += n;
        read += n;
        if (n === 0 || (n < want && read >= known)) eof = true; // regular files read short only at EOF
      }
      if (start === end) break;
      const len = ctx.chunker.cut(buf, start, end, eof);
      const data = buf.subarray(start, start + len);
      const { ref, stored } = ctx.codec.encode(data, same);
      if (stored && !isHole(ref)) ctx.out.add(ref.digest, stored);
      const prev = chunks[chunks.length - 1];
      if (prev && isHole(prev) && isHole(ref)) prev.hole += ref.hole; // one entry per sparse stretch
      else chunks.push(ref);
      start += len;
    }
    return { chunks, size: read };
  } finally {
    closeSync(fd);
  }
}
