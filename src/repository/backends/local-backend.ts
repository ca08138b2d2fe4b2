/**
 * A repository in a local directory (another disk, a NAS mount). Repository files are private:
 * files 0600, directories 0700. put() is restic's local Save: a temp file in the destination
 * directory (created on demand), every byte written and counted, fsync, close, rename over the
 * final name, fsync the directory; on any failure the temp file is removed, so a full disk leaves
 * nothing half-written under a real name.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { NotFoundError, SizeMismatchError, fromSystemError, isErrno } from '../../core/errors.js';
import { fsyncDir } from '../../platform/durable.js';
import { checkName, checkPrefix, sourceSize, tempNameFor, type Backend, type ByteRange, type FileInfo, type PutSource } from '../backend.js';

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

export class LocalBackend implements Backend {
  readonly location: string;

  constructor(readonly root: string) {
    this.location = root;
  }

  private path(name: string): string {
    return join(this.root, checkName(name));
  }

  async stat(name: string): Promise<FileInfo> {
    try {
      const st = await stat(this.path(name));
      if (!st.isFile()) throw new NotFoundError('repository file', name);
      return { name, size: st.size, mtimeMs: st.mtimeMs };
    } catch (err) {
      throw this.mapError(err, name);
    }
  }

  async get(name: string, range?: ByteRange): Promise<Readable> {
    const path = this.path(name);
    try {
      const fh = await open(path, 'r');
      if (range?.length === 0) {
        await fh.close();
        return Readable.from([], { objectMode: false });
      }
      const start = range?.offset ?? 0;
      const end = range?.length === undefined ? undefined : start + range.length - 1;
      return createReadStream('', { fd: fh, highWaterMark: 1 << 20, start, ...(end === undefined ? {} : { end }) });
    } catch (err) {
      throw this.mapError(err, name);
    }
  }

  async put(name: string, source: PutSource): Promise<void> {
    const target = this.path(name);
    const tmp = join(this.root, tempNameFor(name));
    try {
      let fh: FileHandle;
      try {
        fh = await open(tmp, 'wx', FILE_MODE);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
        await mkdir(dirname(tmp), { recursive: true, mode: DIR_MODE });
        fh = await open(tmp, 'wx', FILE_MODE);
      }
      try {
        const written = await writeSource(fh, source);
        if (written !== sourceSize(source)) throw new SizeMismatchError(sourceSize(source), written, `upload of ${name}`);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
      await fsyncDir(dirname(target));
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw this.mapError(err, name);
    }
  }

  async list(prefix: string): Promise<FileInfo[]> {
    const p = checkPrefix(prefix);
    const out: FileInfo[] = [];
    const walk = async (rel: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(join(this.root, rel), { withFileTypes: true });
      } catch (err) {
        if (isErrno(err, 'ENOENT', 'ENOTDIR')) return;
        throw this.mapError(err, rel);
      }
      for (const e of entries) {
        const child = rel === '' ? e.name : `${rel}/${e.name}`;
        if (e.isDirectory()) await walk(child);
        else if (e.isFile()) {
          const st = await stat(join(this.root, child)).catch(() => undefined);
          if (st) out.push({ name: child, size: st.size, mtimeMs: st.mtimeMs });
        }
      }
    };
    await walk(p);
    return out;
  }

  async delete(name: string): Promise<void> {
    try {
      const st = await stat(this.path(name));
      if (!st.isFile()) throw new NotFoundError('repository file', name);
      await rm(this.path(name));
    } catch (err) {
      throw this.mapError(err, name);
    }
  }

  async close(): Promise<void> {}

  localFile(name: string): string {
    return this.path(name);
  }

  private mapError(err: unknown, name: string): unknown {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return new NotFoundError('repository file', name, { cause: err });
    return fromSystemError(err, `${this.location}: ${name}`);
  }
}

/** Writes every byte of `source` to `fh`; returns the number written. */
async function writeSource(fh: FileHandle, source: PutSource): Promise<number> {
  if (source instanceof Uint8Array) {
    let off = 0;
    while (off < source.byteLength) off += (await fh.write(source, off, source.byteLength - off)).bytesWritten;
    return off;
  }
  let total = 0;
  for await (const chunk of await source.open()) {
    const b = chunk as Buffer;
    let off = 0;
    while (off < b.length) off += (await fh.write(b, off, b.length - off)).bytesWritten;
    total += b.length;
  }
  return total;
}
