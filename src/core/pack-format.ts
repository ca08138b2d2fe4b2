/**
 * The pack file: many blobs in one file, so a volume snapshot's tens of thousands of small chunks
 * cost tens of uploads (a repository) or tens of file creates (the local store's packs/) instead of
 * tens of thousands. Pure codec, shared by both.
 *
 *   ┌───────────┬───────────┬─────┬──────────────────────┬──────────────┬──────────────┐
 *   │ blob 0    │ blob 1    │ ... │ trailer (JSON, UTF-8)│ trailer len  │ magic        │
 *   │ (stored)  │ (stored)  │     │ [PackEntry, ...]     │ uint32 LE    │ "LBPACK01"   │
 *   └───────────┴───────────┴─────┴──────────────────────┴──────────────┴──────────────┘
 *
 * A PackEntry is {digest, offset, length, encoding, rawLength}: `digest` is the blob's identity
 * (sha256 of its bytes in the local store, i.e. after decoding), `length` the stored bytes at
 * `offset`, `encoding` raw or zstd, `rawLength` the decoded size. Blobs sit back to back from
 * offset 0 in trailer order, and the trailer starts where the last one ends. The pack is named by
 * the sha256 of the whole file in a repository (re-hashing it proves every byte). The trailer
 * repeats what an index says, so an index can always be rebuilt from the packs (that is how an
 * interrupted backup's packs are adopted, and how the local store finds its packed chunks: one
 * read of the tail, one of the trailer).
 */
import { InvalidInputError } from '../core/errors.js';
import { JSON_LIMIT, encodeJson, parseStrictJson } from './strict-json.js';
import { isDigest, type Digest } from './digest.js';

export const PACK_MAGIC = Buffer.from('LBPACK01', 'latin1');
/** Bytes at the end of every pack: trailer length + magic. */
export const PACK_TAIL = 4 + PACK_MAGIC.length;
export const MAX_TRAILER = JSON_LIMIT;

export type BlobEncoding = 'raw' | 'zstd';

/**
 * A blob's stored bytes inside a pack file, for the synchronous readers (a restore's workers):
 * `length` bytes at `offset`, zstd-encoded there when `zstd`. `quarantine`: the pack is the local
 * store's own, so a blob that fails verification is quarantined there (a repository's is not).
 */
export interface PackSpan {
  file: string;
  offset: number;
  length: number;
  zstd: boolean;
  quarantine?: boolean;
}

export interface PackEntry {
  digest: Digest;
  offset: number;
  length: number;
  encoding: BlobEncoding;
  rawLength: number;
}

function bad(what: string): InvalidInputError {
  return new InvalidInputError(`corrupt pack: ${what}`, { code: 'BAD_PACK', hint: 'run `lifeboat repo check --read-data` on a repository, `lifeboat system check` on the local store' });
}

/** The trailer, its length and the magic, to append after the blobs. */
export function encodeTrailer(entries: readonly PackEntry[]): Buffer {
  const json = encodeJson(entries.map((e) => ({ digest: e.digest, offset: e.offset, length: e.length, encoding: e.encoding, rawLength: e.rawLength })));
  const tail = Buffer.alloc(PACK_TAIL);
  tail.writeUInt32LE(json.length, 0);
  PACK_MAGIC.copy(tail, 4);
  return Buffer.concat([json, tail]);
}

/** Reads the last PACK_TAIL bytes of a pack of `packSize` bytes; returns the trailer's length. */
export function parsePackTail(tail: Buffer, packSize: number): number {
  if (packSize < PACK_TAIL || tail.length !== PACK_TAIL) throw bad(`${packSize} bytes is too short for a pack`);
  if (!tail.subarray(4).equals(PACK_MAGIC)) throw bad('no pack magic at the end (not a Lifeboat pack, or cut short)');
  const len = tail.readUInt32LE(0);
  if (len > MAX_TRAILER || len + PACK_TAIL > packSize) throw bad(`trailer length ${len} does not fit in ${packSize} bytes`);
  return len;
}

/** Validates one entry read from a trailer or an index. */
export function checkEntry(raw: unknown, where: string): PackEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${where}: entry is not an object`);
  const e = raw as Record<string, unknown>;
  const int = (k: string) => {
    const v = e[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${where}: ${k} is not a non-negative integer`);
    return v;
  };
  const encoding = e.encoding;
  if (encoding !== 'raw' && encoding !== 'zstd') throw bad(`${where}: unknown encoding ${JSON.stringify(encoding)}`);
  if (!isDigest(e.digest)) throw new InvalidInputError(`${where}: invalid digest ${JSON.stringify(e.digest)}`, { code: 'INVALID_DIGEST' });
  const entry: PackEntry = { digest: e.digest, offset: int('offset'), length: int('length'), encoding, rawLength: int('rawLength') };
  if (encoding === 'raw' && entry.rawLength !== entry.length) throw bad(`${where}: raw blob with rawLength ${entry.rawLength} ≠ length ${entry.length}`);
  return entry;
}

/** Parses and checks a trailer: entries back to back from 0 up to where the trailer starts, no digest twice. */
export function parseTrailer(json: Buffer, packSize: number): PackEntry[] {
  const value = parseStrictJson(json, 'pack trailer', MAX_TRAILER);
  if (!Array.isArray(value)) throw bad('trailer is not a list');
  const trailerStart = packSize - PACK_TAIL - json.length;
  const seen = new Set<Digest>();
  let next = 0;
  const entries = value.map((raw, i) => {
    const e = checkEntry(raw, `trailer entry ${i}`);
    if (e.offset !== next) throw bad(`trailer entry ${i} starts at ${e.offset}, expected ${next}`);
    if (seen.has(e.digest)) throw bad(`blob ${e.digest} appears twice`);
    seen.add(e.digest);
    next = e.offset + e.length;
    return e;
  });
  if (next !== trailerStart) throw bad(`blobs end at ${next} but the trailer starts at ${trailerStart}`);
  return entries;
}
