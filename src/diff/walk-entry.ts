/**
 * One filesystem node → one tar header, for the layer walker. Numbers are what the kernel says
 * (numeric uid/gid, no user names, mtime floored to whole seconds so layers are reproducible); xattrs
 * are read with the no-follow calls of our addon, values byte for byte; file data is streamed from an
 * O_NOFOLLOW descriptor and stops at the size seen by lstat, so a file that grows while it is read
 * does not corrupt the archive (one that shrinks fails the tar writer's size check).
 *
 * Small files (most of a rootfs) are read with one synchronous open/read/close and stats are
 * synchronous: each async fs call is a libuv thread-pool round trip, which dominated the walk.
 * Large files stream asynchronously in 1 MiB reads.
 */
import { closeSync, constants, openSync, readSync, type BigIntStats } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { InvalidInputError } from '../core/errors.js';
import { devMajor, devMinor, native } from '../platform/native.js';
import type { EntryType, TarHeader } from './tar/entry.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const READ_CHUNK = 1024 * 1024;

/** File names must be UTF-8 to survive our tar reader (and most registries' tooling). */
export function decodeName(raw: Buffer, where: string): string {
  try {
    return utf8.decode(raw);
  } catch {
    throw new InvalidInputError(`${where}: the name ${JSON.stringify(raw.toString('latin1'))} is not valid UTF-8 and cannot be stored in a layer`, {
      code: 'BAD_FILE_NAME',
      hint: 'rename the file to a UTF-8 name',
    });
  }
}

/** Whole seconds, rounded down (also below zero). */
export function wholeSeconds(ns: bigint): number {
  const s = ns / 1_000_000_000n;
  return Number(ns < 0n && s * 1_000_000_000n !== ns ? s - 1n : s);
}

export function readXattrs(host: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of native.llistxattr(host)) {
    const value = native.lgetxattr(host, name);
    if (value !== null) out.set(name, value);
  }
  return out;
}

/** The header for `host` (already lstat'ed as `st`, of type `type`) stored under `path`. */
export async function headerFor(host: string, path: string, st: BigIntStats, type: EntryType, xattrs: Map<string, Buffer>): Promise<TarHeader> {
  const rdev = Number(st.rdev);
  const isDevice = type === 'char' || type === 'block';
  return {
    path,
    type,
    mode: Number(st.mode) & 0o7777,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: type === 'file' ? Number(st.size) : 0,
    mtime: wholeSeconds(st.mtimeNs),
    linkname: type === 'symlink' ? decodeName(await readlink(host, { encoding: 'buffer' }), `symlink ${path}`) : '',
    devmajor: isDevice ? devMajor(rdev) : 0,
    devminor: isDevice ? devMinor(rdev) : 0,
    xattrs,
  };
}

/** Files up to this size are read with one synchronous open/read/close (see walk-entry header). */
const SMALL_FILE = 256 * 1024;

function readSmallFile(host: string, size: number): Buffer {
  const fd = openSync(host, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    for (let n = 1; off < size && n > 0; off += n) n = readSync(fd, buf, off, size - off, off);
    return buf.subarray(0, off); // shorter when the file shrank: the tar writer reports it
  } finally {
    closeSync(fd);
  }
}

/** The first `size` bytes of the regular file at `host`, read lazily when the tar writer asks. */
export function fileBody(host: string, size: number): AsyncIterable<Buffer> {
  return {
    async *[Symbol.asyncIterator]() {
      if (size === 0) return;
      if (size <= SMALL_FILE) {
        yield readSmallFile(host, size);
        return;
      }
      const fh = await open(host, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        yield* fh.createReadStream({ start: 0, end: size - 1, highWaterMark: READ_CHUNK, autoClose: false }) as AsyncIterable<Buffer>;
      } finally {
        await fh.close();
      }
    },
  };
}
