/**
 * Reading snapshot blobs back: records and trees are verified (re-hashed) on every read and then
 * validated as untrusted documents; chunks are verified twice, the stored bytes against the blob's
 * name and, for compressed chunks, the decompressed bytes against the raw digest kept in the tree,
 * so a restore checks every byte end to end.
 */
import type { Digest } from '../core/digest.js';
import { IntegrityError, NotFoundError } from '../core/errors.js';
import { TREE_LIMIT, parseRecord, type ChunkRef, type SnapshotRecord, type Tree } from '../core/volume-snapshot-format.js';
import type { Provider } from '../content/content-store.js';
import { decodeChunk } from './chunk-codec.js';
import { decodeTreeBlob } from './tree-blob.js';

/** Chunks are at most a few MiB; anything far larger is not a chunk we wrote. */
const CHUNK_LIMIT = 64 * 1024 * 1024;

async function readVerified(content: Provider, digest: Digest, limit: number, what: string): Promise<Buffer> {
  try {
    return await content.readBytes(digest, limit);
  } catch (err) {
    if (err instanceof NotFoundError) {
      throw new IntegrityError(`${what} ${digest} is missing from the store`, {
        code: 'MISSING_BLOB',
        hint: 'run `lifeboat system check`; the snapshot cannot be read in full',
        data: { digest },
      });
    }
    throw err;
  }
}

export async function loadRecord(content: Provider, digest: Digest): Promise<SnapshotRecord> {
  return parseRecord(await readVerified(content, digest, TREE_LIMIT, 'snapshot record'), `snapshot record ${digest}`);
}

export async function loadTree(content: Provider, digest: Digest): Promise<Tree> {
  return decodeTreeBlob(await readVerified(content, digest, TREE_LIMIT, 'tree'), `tree ${digest}`);
}

/** A chunk's raw bytes, verified against the stored digest (readBytes re-hashes), then decoded and checked. */
export async function readChunk(content: Provider, ref: ChunkRef): Promise<Buffer> {
  return decodeChunk(await readVerified(content, ref.digest, CHUNK_LIMIT, 'chunk'), ref);
}
