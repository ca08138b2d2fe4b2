/**
 * A tree blob read in an I/O worker for the snapshot walk (the parent snapshot's directories):
 * re-hashed against its digest, decompressed (tree-blob.ts) and validated as untrusted input
 * (core/volume-snapshot-format.ts parseTree), then handed back parsed and as JSON text (the main
 * thread, when it needs the tree, parses that with plain JSON.parse). A missing or corrupt blob is an IntegrityError, a corrupt one marked
 * for quarantine as content/ does on any failed read.
 */
import { readFileSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import { DigestMismatchError, IntegrityError, isErrno } from '../core/errors.js';
import { TREE_LIMIT, parseTree, type Tree } from '../core/volume-snapshot-format.js';
import { blobFile, type StorePaths } from './blob-files.js';
import { sha256Of } from './chunk-codec.js';
import { treeJson } from './tree-blob.js';

export function readTreeSync(paths: StorePaths, digest: Digest): { tree: Tree; json: string; size: number } {
  let stored: Buffer;
  try {
    stored = readFileSync(blobFile(paths, digest));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) throw new IntegrityError(`tree ${digest} is missing from the store`, { code: 'MISSING_BLOB', data: { digest } });
    throw err;
  }
  if (stored.length > TREE_LIMIT) throw new IntegrityError(`tree ${digest} is ${stored.length} bytes, over the limit`, { code: 'BAD_SNAPSHOT' });
  const actual = sha256Of(stored);
  if (actual !== digest) {
    const err = new DigestMismatchError(digest, actual, 'stored tree');
    err.data.quarantine = digest;
    throw err;
  }
  const json = treeJson(stored, `tree ${digest}`);
  const tree = parseTree(json, `tree ${digest}`);
  return { tree, json: json.toString('utf8'), size: stored.length };
}
