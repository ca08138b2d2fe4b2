/**
 * Tree and record documents are parsed as untrusted input: names that could leave a directory
 * ("..", "/", NUL, empty), unsorted or repeated names, chunk lists that do not add up to the file
 * size, bad digests and unknown types are refused; what we write parses back unchanged.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sha256 } from '../../../src/core/hashing.js';
import { InvalidInputError } from '../../../src/core/errors.js';
import { MediaType } from '../../../src/core/media-types.js';
import { encodeTree, parseTree, treeChildren, type Tree, type TreeEntry } from '../../../src/core/volume-snapshot-format.js';
import { decodeTreeBlob, encodeTreeBlob } from '../../../src/volumes/tree-blob.js';
import zstd from 'zstd-napi/binding.js';

const D = sha256('chunk');
const file = (name: string, extra: Partial<TreeEntry> = {}): TreeEntry => ({ name, type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: '1700000000000000000', size: 5, chunks: [{ digest: D, size: 5, length: 5 }], ...extra });

test('a tree round-trips and lists its children', () => {
  const tree: Tree = {
    entries: [
      file('a'),
      { name: 'd', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: '1', tree: sha256('t'), treeSize: 10 },
      { nameRaw: Buffer.from([0x66, 0xff]).toString('base64'), type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtime: '1', targetRaw: Buffer.from([0xff]).toString('base64') },
      file('z', { size: 10, chunks: [{ hole: 5 }, { digest: D, size: 3, length: 5, raw: sha256('raw'), zstd: true }] }),
    ],
  };
  assert.deepEqual(parseTree(encodeTree(tree)), tree);
  assert.deepEqual(
    treeChildren(tree).map((c) => c.mediaType),
    [MediaType.LifeboatChunk, MediaType.LifeboatTree, MediaType.LifeboatChunk],
    'chunks and subtrees; holes are no blobs',
  );
});

for (const [what, entries] of [
  ['a ".." name (path traversal)', [file('..')]],
  ['a name with a slash', [file('a/b')]],
  ['a name with NUL', [file('a\u0000b')]],
  ['an empty name', [file('')]],
  ['unsorted names', [file('b'), file('a')]],
  ['a repeated name', [file('a'), file('a')]],
  ['chunks that do not add up to the size', [file('a', { size: 6 })]],
  ['a bad digest', [file('a', { chunks: [{ digest: 'sha256:xyz' as never, size: 5, length: 5 }] })]],
  ['a compressed chunk without its raw digest', [file('a', { chunks: [{ digest: D, size: 5, length: 5, zstd: true }] })]],
  ['an unknown type', [{ ...file('a'), type: 'socket' as never }]],
  ['a mode above 07777', [file('a', { mode: 0o170644 })]],
  ['a directory without a tree', [{ name: 'd', type: 'dir', mode: 0o755, uid: 0, gid: 0, mtime: '1' } as TreeEntry]],
] as const) {
  test(`a tree with ${what} is refused`, () => {
    assert.throws(() => parseTree(encodeTree({ entries: entries as unknown as TreeEntry[] })), InvalidInputError);
  });
}

test('duplicate JSON keys are refused (strict JSON)', () => {
  assert.throws(() => parseTree(Buffer.from('{"entries":[],"entries":[]}')), InvalidInputError);
});

test('tree blobs are stored compressed, deterministically, and read back', () => {
  const tree: Tree = { entries: Array.from({ length: 50 }, (_, i) => file(`file-${String(i).padStart(3, '0')}`)) };
  const blob = encodeTreeBlob(tree);
  assert.ok(blob.length < encodeTree(tree).length / 2, `${blob.length} bytes`);
  assert.deepEqual(encodeTreeBlob(tree), blob, 'same tree, same bytes');
  assert.deepEqual(decodeTreeBlob(blob), tree);
  assert.deepEqual(decodeTreeBlob(encodeTreeBlob({ entries: [] })), { entries: [] }, 'tiny trees stay JSON');
});

test('a compressed tree without a declared size (a possible bomb) is refused', () => {
  const json = encodeTree({ entries: [file('a')] });
  const cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.contentSizeFlag, 0);
  const out = Buffer.alloc(zstd.compressBound(json.length));
  const frame = out.subarray(0, cctx.compress2(out, json));
  assert.throws(() => decodeTreeBlob(frame), InvalidInputError);
});
