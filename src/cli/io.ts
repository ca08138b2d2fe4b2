/** Command-line input and output files: a path, or `-` for stdin/stdout, with clear errors. */
import { createReadStream, createWriteStream, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { rename, rm, stat } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { NotFoundError, UsageError, fromSystemError, isErrno } from '../core/errors.js';
import { tempName } from '../platform/durable.js';

export async function openInput(path: string): Promise<Readable> {
  if (path === '-') {
    if (process.stdin.isTTY) throw new UsageError('refusing to read an archive from a terminal', { hint: 'pipe the tarball in, or give a file path' });
    return process.stdin;
  }
  if (/^[a-z]+:\/\//i.test(path)) throw new UsageError(`cannot read ${path}: importing from URLs is not supported`, { hint: 'download the file first' });
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new NotFoundError('file', path);
  if (!st.isFile()) throw new UsageError(`${path} is not a regular file`);
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

export interface OutputTarget {
  stream: Writable;
  /** Makes the output visible under its name (a file appears only when complete). */
  commit(): Promise<void>;
  /** Removes what was written; an existing file of the same name is left as it was. */
  abort(): Promise<void>;
}

/**
 * Stdout for `-` or no path; otherwise a temp file beside the target, created 0600 so archives of
 * private data stay private, renamed over the target only on commit.
 */
export function openOutput(path: string | undefined): OutputTarget {
  if (path === undefined || path === '-') {
    if (process.stdout.isTTY) throw new UsageError('refusing to write an archive to a terminal', { hint: 'use -o FILE or redirect stdout' });
    return { stream: process.stdout, commit: async () => {}, abort: async () => {} };
  }
  const tmp = tempName(path);
  let fd: number;
  try {
    fd = openSync(tmp, 'wx', 0o600); // synchronously, so a bad path is an error here, not a stray stream event
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) throw new NotFoundError('directory', dirname(path));
    throw fromSystemError(err, `writing ${path}`);
  }
  const stream = createWriteStream(tmp, { fd });
  return {
    stream,
    commit: async () => {
      await rename(tmp, path);
    },
    abort: async () => {
      stream.destroy();
      await rm(tmp, { force: true });
    },
  };
}
