/**
 * The storage seam under a repository: a flat namespace of immutable-ish files, after restic's
 * `Backend`. Every place a repository can live (a local directory, SFTP; object stores and
 * registries later) implements these six verbs and passes test/contracts/backend.contract.ts:
 *
 *   stat(name)           size (and mtime where known) of one file; NotFoundError when absent
 *   get(name, range?)    a stream of the file's bytes, or of `length` bytes from `offset`
 *   put(name, source)    ATOMIC: the bytes go to a temporary name and are renamed; a reader sees the
 *                        old file, the whole new file or nothing, never a prefix. A put over an
 *                        existing name replaces it. Directories are created as needed.
 *   list(prefix)         every file under a directory prefix, recursively, names relative to the
 *                        backend root (`data/ab/abcd…`); a missing prefix lists as empty. Temporary
 *                        files of puts in progress (or cut off) are listed too: see isTempName
 *   delete(name)         removes one file; NotFoundError when absent
 *   close()              releases connections
 *   localFile?(name)     optional: the path of a file that can be read in place (a local directory);
 *                        a restore reads chunks straight out of such packs instead of copying them
 *
 * Names are '/'-separated relative paths checked by `checkName`: no '..', no empty or dot segments,
 * no absolute paths, so a hostile repository cannot make a backend touch anything outside its root.
 * Behaviour that is not storage (retries, concurrency limits) wraps a backend as a decorator
 * (backends/retry-backend.ts, backends/limit-backend.ts) instead of living inside it.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { InvalidInputError, SizeMismatchError } from '../core/errors.js';

export interface FileInfo {
  /** Relative to the backend root, '/'-separated. */
  name: string;
  size: number;
  /** Last modification, where the backend knows it (used to age out abandoned temp files). */
  mtimeMs?: number;
}

export interface ByteRange {
  offset: number;
  /** Bytes to read from `offset`; to the end of the file when omitted. */
  length?: number;
}

/**
 * What put() stores: bytes in memory, or a stream it can open again (a retry after a cut connection
 * must start from the beginning, and a consumed stream cannot).
 */
export type PutSource = Uint8Array | StreamSource;
export interface StreamSource {
  size: number;
  open(): Readable | Promise<Readable>;
}

export interface Backend {
  /** Where this backend points, for messages (never contains a secret). */
  readonly location: string;
  stat(name: string): Promise<FileInfo>;
  get(name: string, range?: ByteRange): Promise<Readable>;
  put(name: string, source: PutSource): Promise<void>;
  list(prefix: string): Promise<FileInfo[]>;
  delete(name: string): Promise<void>;
  close(): Promise<void>;
  /** The local path of `name` when this backend's files are plain local files (checked like any name). */
  localFile?(name: string): string | undefined;
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** Throws unless `name` is a safe relative path: segments of [A-Za-z0-9._-], none '.', '..' or empty. */
export function checkName(name: string): string {
  const segments = name.split('/');
  if (name.length === 0 || name.length > 1024 || !segments.every((s) => SEGMENT.test(s) || isTempName(s))) {
    throw new InvalidInputError(`invalid repository file name ${JSON.stringify(name)}`, { code: 'BAD_NAME' });
  }
  return name;
}

/** Same rule for a directory prefix ('' is the root). */
export function checkPrefix(prefix: string): string {
  const p = prefix.replace(/\/+$/, '');
  return p === '' ? '' : checkName(p);
}

const TEMP = /^\.[A-Za-z0-9._-]+\.tmp-[0-9a-f]{12}$/;

/** The temporary name a put writes before its rename: `.<base>.tmp-<random>` in the same directory. */
export function tempNameFor(name: string): string {
  const slash = name.lastIndexOf('/');
  return `${name.slice(0, slash + 1)}.${name.slice(slash + 1)}.tmp-${randomBytes(6).toString('hex')}`;
}

/** True for the last segment of a temp file written by a put (in progress, or left by a cut one). */
export function isTempName(name: string): boolean {
  return TEMP.test(name.slice(name.lastIndexOf('/') + 1));
}

export function sourceSize(source: PutSource): number {
  return source instanceof Uint8Array ? source.byteLength : source.size;
}

/** Reads a whole stream into memory, refusing more than `limit` bytes and, when given, a length that differs from `expect`. */
export async function readAll(stream: Readable, limit: number, expect?: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream) {
    const b = chunk as Buffer;
    n += b.length;
    if (n > limit) {
      stream.destroy();
      throw new InvalidInputError(`a repository file is larger than the ${limit}-byte limit for this read`, { code: 'TOO_LARGE' });
    }
    chunks.push(b);
  }
  if (expect !== undefined && n !== expect) throw new SizeMismatchError(expect, n, 'repository read');
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n);
}

/** Bytes of `name` in `range`, in memory (for trailers, index files, small blobs). */
export async function getBytes(backend: Backend, name: string, range: ByteRange | undefined, limit: number): Promise<Buffer> {
  return readAll(await backend.get(name, range), limit, range?.length);
}
