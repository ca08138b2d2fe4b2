/**
 * The index file: which blobs are in which packs. Pure codec.
 *
 *   {"version":1,"packs":[{"pack":"sha256:<pack>","size":<pack bytes>,"blobs":[PackEntry, ...]}, ...]}
 *
 * An index file is written only after every pack it names is uploaded whole, and is named by the
 * sha256 of its bytes. The repository's index is the union of all index files; a blob named twice
 * (two backups that raced, an adopted pack) is harmless, prune keeps one. After prune an entry list
 * may be a subset of the pack's trailer, so entries only have to lie inside the pack here.
 * MAX_INDEX_BLOBS keeps every file well under the strict-JSON cap.
 */
import { InvalidInputError } from '../core/errors.js';
import { encodeJson, parseStrictJson } from '../core/strict-json.js';
import type { Digest } from '../core/digest.js';
import { checkEntry, type PackEntry } from '../core/pack-format.js';
import { repoDigest } from './repo-layout.js';

export const INDEX_VERSION = 1;
export const MAX_INDEX_BLOBS = 50_000;

export interface PackRecord {
  pack: Digest;
  size: number;
  blobs: PackEntry[];
}

export function encodeIndex(packs: readonly PackRecord[]): Buffer {
  return encodeJson({
    version: INDEX_VERSION,
    packs: packs.map((p) => ({
      pack: p.pack,
      size: p.size,
      blobs: p.blobs.map((e) => ({ digest: e.digest, offset: e.offset, length: e.length, encoding: e.encoding, rawLength: e.rawLength })),
    })),
  });
}

function bad(what: string): InvalidInputError {
  return new InvalidInputError(`corrupt index file: ${what}`, { code: 'BAD_INDEX', hint: 'run `lifeboat repo check` on the repository' });
}

export function parseIndex(bytes: Uint8Array, what = 'index file'): PackRecord[] {
  const v = parseStrictJson(bytes, what) as { version?: unknown; packs?: unknown } | null;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} is not an object`);
  if (v.version !== INDEX_VERSION) throw bad(`${what} has unsupported version ${JSON.stringify(v.version)}`);
  if (!Array.isArray(v.packs)) throw bad(`${what} has no pack list`);
  return v.packs.map((raw: unknown, i: number) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${what}: pack ${i} is not an object`);
    const p = raw as { pack?: unknown; size?: unknown; blobs?: unknown };
    const pack = repoDigest(p.pack, `${what}: pack ${i}`);
    const size = p.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw bad(`${what}: pack ${i} has a bad size`);
    if (!Array.isArray(p.blobs)) throw bad(`${what}: pack ${i} has no blob list`);
    const blobs = p.blobs.map((b: unknown, j: number) => {
      const e = checkEntry(b, `${what}: pack ${i} blob ${j}`);
      if (e.offset + e.length > size) throw bad(`${what}: blob ${e.digest} lies outside its pack`);
      return e;
    });
    return { pack, size, blobs };
  });
}

/** Splits records into groups of at most MAX_INDEX_BLOBS blobs (a pack is never split). */
export function chunkRecords(records: readonly PackRecord[], max = MAX_INDEX_BLOBS): PackRecord[][] {
  const out: PackRecord[][] = [];
  let cur: PackRecord[] = [];
  let n = 0;
  for (const r of records) {
    if (n > 0 && n + r.blobs.length > max) {
      out.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(r);
    n += r.blobs.length;
  }
  if (cur.length) out.push(cur);
  return out;
}
