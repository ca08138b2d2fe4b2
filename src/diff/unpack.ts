/**
 * Compressed layer blob → directory, with the DiffID checked on the way.
 *
 * The DiffID is the sha256 of the *whole* decompressed stream. The applier reads past the tar
 * end-of-archive marker to the very end (readTar `drainTrailing`), so padding or garbage after the
 * marker is hashed too, as containerd's and umoci's appliers do (formats.md 1.1, E.37). Reading to
 * the end is also what makes the decompressor check its trailer (gzip CRC and ISIZE, F.38).
 *
 * When `compression` is given the bytes must be in that format (a descriptor the caller trusts);
 * when it is absent the magic bytes decide (F.40).
 *
 * Same contract as applyLayer: on any error, including a DiffID mismatch found at the end, `root`
 * holds a partial or unverified tree; callers unpack into a temp dir and rename only on success.
 */
import { createHash, type Hash } from 'node:crypto';
import { pipeline, type Readable } from 'node:stream';
import { digestOfHex, type Digest } from '../core/digest.js';
import { DigestMismatchError } from '../core/errors.js';
import type { Compression } from '../core/media-types.js';
import { applyLayer, type ApplyOptions, type ApplyResult } from './apply.js';
import { autoDecompress, decompressor } from './compression.js';

export interface UnpackOptions extends ApplyOptions {
  /** The blob's compression; sniffed from the magic bytes when absent. */
  compression?: Compression;
  /** Expected DiffID; a mismatch throws DigestMismatchError after the whole stream was read. */
  diffId?: Digest;
}

export interface UnpackResult extends ApplyResult {
  diffId: Digest;
  /** The compression that was undone (as given, or as sniffed). */
  compression: Compression;
}

/** The decompressed bytes of `source`; errors of `source` surface on the returned stream. */
export async function openDecompressed(source: Readable, compression?: Compression): Promise<{ compression: Compression; stream: Readable }> {
  if (compression === undefined) return autoDecompress(source);
  const out = decompressor(compression);
  pipeline(source, out, () => undefined);
  return { compression, stream: out };
}

async function* hashing(stream: Readable, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    yield chunk;
  }
}

export async function unpackLayer(root: string, source: Readable, opts: UnpackOptions): Promise<UnpackResult> {
  const { compression, stream } = await openDecompressed(source, opts.compression);
  const hash = createHash('sha256');
  let result: ApplyResult;
  try {
    result = await applyLayer(root, hashing(stream, hash), opts);
  } catch (err) {
    stream.destroy();
    source.destroy();
    throw err;
  }
  const diffId = digestOfHex(hash.digest('hex'));
  if (opts.diffId !== undefined && opts.diffId !== diffId) throw new DigestMismatchError(opts.diffId, diffId, 'layer DiffID');
  return { ...result, diffId, compression };
}

/** The DiffID of a layer blob: the sha256 of all of its decompressed bytes. Nothing is applied. */
export async function diffIdOf(source: Readable, compression?: Compression): Promise<Digest> {
  const { stream } = await openDecompressed(source, compression);
  const hash = createHash('sha256');
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  } catch (err) {
    source.destroy();
    throw err;
  }
  return digestOfHex(hash.digest('hex'));
}
