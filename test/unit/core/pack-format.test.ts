/** The pack and index codecs, and the names a repository accepts: round trips and hostile inputs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256 } from '../../../src/core/hashing.js';
import { InvalidInputError, UsageError } from '../../../src/core/errors.js';
import { decodeBlob, BlobEncoder } from '../../../src/repository/blob-encoding.js';
import { encodeIndex, parseIndex } from '../../../src/repository/index-format.js';
import { PackBuilder } from '../../../src/repository/pack-builder.js';
import { PACK_TAIL, encodeTrailer, parsePackTail, parseTrailer, type PackEntry } from '../../../src/core/pack-format.js';
import { planRuns } from '../../../src/repository/pack-reader.js';
import { checkRefId, parseIndexName, parsePackName } from '../../../src/repository/repo-layout.js';

function split(pack: Buffer): { entries: PackEntry[] } {
  const len = parsePackTail(pack.subarray(pack.length - PACK_TAIL), pack.length);
  return { entries: parseTrailer(pack.subarray(pack.length - PACK_TAIL - len, pack.length - PACK_TAIL), pack.length) };
}

test('a sealed pack is named by its sha256, and its trailer gives every blob back', () => {
  const b = new PackBuilder(1000);
  const enc = new BlobEncoder();
  const blobs = [Buffer.from('x'.repeat(500)), Buffer.from('hello'), Buffer.alloc(0)];
  for (const data of blobs) {
    const { stored, encoding } = enc.encode(data);
    b.add(sha256(data), stored, encoding, data.length);
  }
  const sealed = b.seal();
  assert.equal(sealed.id, sha256(sealed.bytes));
  const { entries } = split(sealed.bytes);
  assert.equal(entries.length, 3);
  assert.equal(entries[0]!.encoding, 'zstd');
  assert.equal(entries[1]!.encoding, 'raw');
  entries.forEach((e, i) => assert.deepEqual(decodeBlob(sealed.bytes.subarray(e.offset, e.offset + e.length), e), blobs[i]));
  assert.equal(b.count, 0, 'the builder starts over');
});

test('hostile trailers are refused: gaps, overlaps, duplicates, bad digests, lies about sizes', () => {
  const d = sha256('a');
  const good: PackEntry = { digest: d, offset: 0, length: 4, encoding: 'raw', rawLength: 4 };
  const pack = (entries: unknown[], body = 4) => {
    const json = Buffer.from(JSON.stringify(entries));
    return { json, size: body + json.length + PACK_TAIL };
  };
  const cases: Array<[string, unknown[], number?]> = [
    ['a gap before the first blob', [{ ...good, offset: 1 }], 5],
    ['blobs that overlap', [good, { ...good, digest: sha256('b'), offset: 2 }], 8],
    ['the same digest twice', [good, { ...good, offset: 4 }], 8],
    ['a digest that is not sha256', [{ ...good, digest: 'md5:abc' }]],
    ['a path in a digest', [{ ...good, digest: 'sha256:../../etc/passwd' }]],
    ['blobs ending after the trailer starts', [{ ...good, length: 10, rawLength: 10 }]],
    ['a raw blob whose rawLength differs', [{ ...good, rawLength: 5 }]],
    ['an unknown encoding', [{ ...good, encoding: 'lz4' }]],
    ['a negative offset', [{ ...good, offset: -1 }]],
  ];
  for (const [why, entries, body] of cases) {
    const { json, size } = pack(entries, body);
    assert.throws(() => parseTrailer(json, size), InvalidInputError, why);
  }
  const { json, size } = pack([good]);
  assert.equal(parseTrailer(json, size).length, 1);
});

test('a pack tail without the magic, or with a trailer longer than the pack, is refused', () => {
  const t = encodeTrailer([]).subarray(-PACK_TAIL);
  assert.equal(parsePackTail(t, PACK_TAIL + 2), 2);
  const bad = Buffer.from(t);
  bad[bad.length - 1] = 0;
  assert.throws(() => parsePackTail(bad, 100), InvalidInputError);
  const long = Buffer.from(t);
  long.writeUInt32LE(1000, 0);
  assert.throws(() => parsePackTail(long, 100), InvalidInputError);
});

test('index files round-trip and refuse blobs outside their pack', () => {
  const e: PackEntry = { digest: sha256('a'), offset: 0, length: 4, encoding: 'raw', rawLength: 4 };
  const rec = { pack: sha256('pack'), size: 100, blobs: [e] };
  assert.deepEqual(parseIndex(encodeIndex([rec])), [rec]);
  assert.throws(() => parseIndex(encodeIndex([{ ...rec, size: 3 }])), InvalidInputError);
  assert.throws(() => parseIndex(Buffer.from('{"version":1,"packs":[],"Packs":[]}')), InvalidInputError, 'case-folded duplicate keys');
  assert.throws(() => parseIndex(Buffer.from('{"version":2,"packs":[]}')), InvalidInputError);
});

test('a decoded blob must match its digest and length', () => {
  const data = Buffer.from('x'.repeat(1000));
  const { stored } = new BlobEncoder().encode(data);
  const entry = { digest: sha256(data), encoding: 'zstd' as const, rawLength: 1000, length: stored.length };
  assert.deepEqual(decodeBlob(stored, entry), data);
  assert.throws(() => decodeBlob(stored, { ...entry, digest: sha256('other') }), /digest mismatch/);
  assert.throws(() => decodeBlob(stored, { ...entry, rawLength: 999 }));
  assert.throws(() => decodeBlob(stored, { ...entry, rawLength: 5000 }), /size mismatch/);
});

test('names read from a listing: only well-formed packs and index files count', () => {
  const hex = 'ab'.padEnd(64, '0');
  assert.equal(parsePackName(`data/ab/${hex}`), `sha256:${hex}`);
  assert.equal(parsePackName(`data/cd/${hex}`), undefined, 'a pack filed under the wrong prefix');
  assert.equal(parsePackName(`data/ab/.${hex}.tmp-0123456789ab`), undefined, 'temp files are not packs');
  assert.equal(parseIndexName(`index/${hex}`), `sha256:${hex}`);
  assert.equal(parseIndexName(`index/${hex}.tmp`), undefined);
});

test('backup ref ids cannot name paths (traversal through a ref id is blocked)', () => {
  for (const bad of ['../x', 'a/b', '.hidden', '', 'x'.repeat(129), 'a\\b', 'a b']) assert.throws(() => checkRefId(bad), UsageError, bad);
  assert.equal(checkRefId('web-2026-11-22T10.00.00_1'), 'web-2026-11-22T10.00.00_1');
});

test('blobs of one pack are read in runs of neighbours', () => {
  const loc = (offset: number, length: number) => ({ pack: sha256('p'), digest: sha256(String(offset)), offset, length, encoding: 'raw' as const, rawLength: length });
  const runs = planRuns([loc(0, 10), loc(10, 10), loc(5_000_000, 10), loc(20, 10)], 1024, 1 << 20);
  assert.deepEqual(runs.map((r) => r.map((l) => l.offset)), [[0, 10, 20], [5_000_000]]);
});
