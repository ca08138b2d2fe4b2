/**
 * How a tree document is stored: its JSON (core/volume-snapshot-format.ts), zstd-compressed when
 * that saves at least 1/32 (a directory's JSON is mostly digests and field names: ~3.5x smaller).
 * Readers tell the two apart by the first bytes (a zstd frame's magic is never the "{" a JSON
 * document starts with), and refuse a frame that does not declare a decompressed size within the
 * tree limit, so a hostile blob cannot make us inflate without bound. Deterministic (fixed level,
 * one library), so an unchanged directory gives the same tree blob in every snapshot.
 */
import zstd from 'zstd-napi/binding.js';
import { InvalidInputError } from '../core/errors.js';
import { TREE_LIMIT, encodeTree, parseTree, type Tree } from '../core/volume-snapshot-format.js';
import { ZSTD_LEVEL } from './chunk-codec.js';

const MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

let cctx: InstanceType<typeof zstd.CCtx> | undefined;

/** A tree's JSON (encodeTree) in its stored form. */
export function compressTreeJson(json: Buffer): Buffer {
  if (!cctx) {
    cctx = new zstd.CCtx();
    cctx.setParameter(zstd.CParameter.compressionLevel, ZSTD_LEVEL);
  }
  const out = Buffer.allocUnsafe(zstd.compressBound(json.length));
  const packed = out.subarray(0, cctx.compress2(out, json));
  return packed.length < json.length - (json.length >> 5) ? Buffer.from(packed) : json;
}

export function encodeTreeBlob(tree: Tree): Buffer {
  return compressTreeJson(encodeTree(tree));
}

/** The JSON inside a stored tree blob (not yet validated). */
export function treeJson(bytes: Buffer, what = 'tree'): Buffer {
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return bytes;
  const size = zstd.getFrameContentSize(bytes);
  if (size === null || size > TREE_LIMIT) throw new InvalidInputError(`invalid ${what}: compressed without a declared size within ${TREE_LIMIT} bytes`, { code: 'BAD_SNAPSHOT' });
  const json = Buffer.allocUnsafe(size);
  try {
    return json.subarray(0, zstd.decompress(json, bytes));
  } catch (err) {
    throw new InvalidInputError(`invalid ${what}: ${(err as Error).message}`, { code: 'BAD_SNAPSHOT' });
  }
}

/** The tree document in a stored tree blob, validated as untrusted input. */
export function decodeTreeBlob(bytes: Buffer, what = 'tree'): Tree {
  return parseTree(treeJson(bytes, what), what);
}
