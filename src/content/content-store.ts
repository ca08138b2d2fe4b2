/**
 * The content store: immutable blobs named by the sha256 of their bytes.
 *
 * Lifecycle of a blob:
 *   writer() → write bytes (hashed as they stream) → commit(expected) → visible under its digest.
 * commit() checks size and digest against what the caller expected, makes the bytes durable and only
 * then gives them their final name, so a crash never leaves a partial blob where a reader would find
 * it. Committing content that already exists is success (content addressing makes it identical).
 * abort() throws the bytes away. Blobs are never modified; delete() is for garbage collection only.
 *
 * Callers take the narrowest role they need: `Provider` to read, `Ingester` to write.
 */
import type { Readable } from 'node:stream';
import type { Digest } from '../core/digest.js';

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** What a writer is expected to produce; checked at commit. */
export interface Expected {
  digest?: Digest;
  size?: number;
}

export interface ReadOptions {
  /**
   * Re-hash the bytes as they are read and fail at the end on a mismatch. Use it wherever the bytes
   * leave the store for somewhere that trusts them (export, push, unpack, backup).
   */
  verify?: boolean;
}

export interface Provider {
  /** Size of a committed blob, or undefined when the store does not have it. */
  info(digest: Digest): Promise<BlobInfo | undefined>;
  /** A stream of the blob's bytes. Throws NotFoundError when absent. */
  reader(digest: Digest, opts?: ReadOptions): Promise<Readable>;
  /** The whole blob in memory, always verified; refuses blobs larger than `limit` bytes. */
  readBytes(digest: Digest, limit?: number): Promise<Buffer>;
}

export interface BlobWriter {
  /** Bytes written so far. */
  readonly written: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Verifies, makes durable, names. Returns what was committed. */
  commit(expected?: Expected): Promise<BlobInfo>;
  abort(): Promise<void>;
}

export interface Ingester {
  writer(): Promise<BlobWriter>;
  /** Streams `source` into a blob. Consumes the source even when the blob already exists. */
  put(source: Readable | Uint8Array, expected?: Expected): Promise<BlobInfo>;
}

export interface ContentStore extends Provider, Ingester {
  /** Every committed blob, in no particular order. */
  walk(): AsyncIterable<BlobInfo>;
  /** Removes a blob; absent blobs are not an error. Only garbage collection calls this. */
  delete(digest: Digest): Promise<void>;
}
