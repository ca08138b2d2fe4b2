/**
 * Durable file writes: the temp → fsync → rename → fsync(dir) sequence every mutable record uses,
 * so a crash leaves either the old file or the new one, never a torn one.
 */
import { open, rename, rm, mkdir } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { fromSystemError } from '../core/errors.js';
import { forEachLimit } from '../core/semaphore.js';

const START = Date.now().toString(36);

/** fsync (or, `data`, fdatasync) of one path. */
async function syncPath(path: string, data = false): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await (data ? fh.datasync() : fh.sync());
  } finally {
    await fh.close();
  }
}

export function fsyncDir(dir: string): Promise<void> {
  return syncPath(dir);
}

/**
 * fdatasync for each of `paths`, four at a time (libuv's thread pool; the syncs of one journal
 * commit coalesce): what makes a handful of new files durable without syncfs, whose cost is
 * every dirty page of the filesystem, other programs' included.
 */
export async function syncFiles(paths: readonly string[]): Promise<void> {
  // forEachLimit takes no new file after a failure and throws once the others have settled: the
  // caller may delete the files next.
  await forEachLimit(paths, 4, (path) => syncPath(path, true));
}

let uniqueCount = 0;

/**
 * A suffix no other name made on this host uses: this process's pid, its start time and a counter
 * (not random bytes: node:crypto costs every command ~3.5 ms to load).
 */
export function uniqueSuffix(): string {
  return `${process.pid}-${START}-${(uniqueCount++).toString(36)}`;
}

/** A name beside `target` for the temp file a replace writes first. */
export function tempName(target: string): string {
  return join(dirname(target), `.${basename(target)}.tmp-${uniqueSuffix()}`);
}

/** Replaces `target` atomically with `data`. `mode` applies to a new file. */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = tempName(target);
  try {
    await mkdir(dirname(target), { recursive: true });
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    await fsyncDir(dirname(target));
  } catch (err) {
    await rm(tmp, { force: true });
    throw fromSystemError(err, `writing ${target}`);
  }
}

/** Writes JSON atomically, with a trailing newline so the file reads well in a terminal. */
export async function writeJsonAtomic(target: string, value: unknown, mode = 0o644): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n', mode);
}
