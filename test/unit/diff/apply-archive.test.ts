/** Archive-level hostile input (formats.md section 2, E.32–E.37, F.39): headers, duplicates, truncation, caps. */
import assert from 'node:assert/strict';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { applyLayer } from '../../../src/diff/apply.js';
import { unpackLayer } from '../../../src/diff/unpack.js';
import { assertRefused, hostileScene } from '../../helpers/hostile-scene.js';
import { tarBytes } from '../../helpers/tar-fixtures.js';

test('a PAX global header is ignored: it creates nothing and renames nothing', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'pax_global_header', flag: 'g', data: Buffer.from('30 path=../victim/pwned-by-global\n') }, { name: 'ok', data: 'x' }]);
  assert.deepEqual(await readdir(s.root), ['ok']);
  await s.assertVictimUntouched();
});

test('an unknown type flag is refused, not guessed at', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'weird', flag: 'Z', data: 'x' }]), 'BAD_TAR', /unsupported entry type/);
});

test('a GNU sparse entry (type S) is refused', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'sparse', flag: 'S', data: 'x' }]), 'BAD_TAR', /sparse/);
});

test('a PAX 0.x/1.0 sparse entry (GNU.sparse.*) is refused (Go CVE-2025-58183)', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'sparse', data: 'x', pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0' } }]), 'BAD_TAR', /sparse/);
});

test('a huge PAX header is refused before it is buffered (Go CVE-2022-2879)', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'f', data: 'x', pax: { comment: 'A'.repeat(2 * 1024 * 1024) } }]), 'BAD_TAR', /exceeds the 1048576-byte limit/);
});

test('a header with a bad checksum is refused', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'ok', data: 'x' }, { name: 'bad', data: 'x', corruptChecksum: true }]), 'BAD_TAR', /checksum/);
});

test('truncated file data is refused (unexpected EOF)', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'f', data: 'only ten b', size: 5000 }], {}, { end: 'none' }), 'BAD_TAR', /truncated/);
});

test('data after a single zero block is refused', async (t) => {
  const s = await hostileScene(t);
  const hidden = tarBytes([{ name: 'hidden', data: 'x' }], { end: 'none' });
  await assertRefused(s.apply([{ name: 'f', data: 'x' }], {}, { end: 'one-block', trailing: hidden }), 'BAD_TAR', /after a zero block/);
  assert.deepEqual(await readdir(s.root), ['f'], 'entries after the zero block were never applied');
});

test('more entries than maxEntries are refused', async (t) => {
  const s = await hostileScene(t);
  const entries = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, data: '' }));
  await assertRefused(s.apply(entries, { limits: { maxEntries: 10 } }), 'BAD_TAR', /more than 10 entries/);
});

test('duplicate entries dir -> file -> dir: the last one wins', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: 'x/', type: 'dir' },
    { name: 'x/child', data: 'c' },
    { name: 'x', data: 'now a file' },
    { name: 'x/', type: 'dir', mode: 0o711 },
  ]);
  const st = await lstat(join(s.root, 'x'));
  assert.ok(st.isDirectory());
  assert.equal(st.mode & 0o777, 0o711);
  assert.deepEqual(await readdir(join(s.root, 'x')), [], 'a file replaced the directory and its children');
});

test('duplicate entries file -> symlink -> dir: the last one wins', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'y', data: 'file' }, { name: 'y', type: 'symlink', linkname: s.victim }, { name: 'y/', type: 'dir' }, { name: 'y/in', data: 'i' }]);
  assert.ok((await lstat(join(s.root, 'y'))).isDirectory());
  assert.equal(await readFile(join(s.root, 'y/in'), 'utf8'), 'i');
  await s.assertVictimUntouched();
});

test('a directory deleted and made again implicitly does not get the deleted one\'s metadata', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: 'a/', type: 'dir' },
    { name: 'a/b/', type: 'dir', mode: 0o700, mtime: 1000 },
    { name: 'a', data: 'a file replaces a/ and a/b/' },
    { name: 'a/', type: 'dir' },
    { name: 'a/b/y', data: 'makes a new a/b implicitly' },
  ]);
  const b = await lstat(join(s.root, 'a/b'));
  assert.equal(b.mode & 0o777, 0o755, 'the implicit directory keeps its own mode');
  assert.notEqual(Math.floor(b.mtimeMs / 1000), 1000);
});

test('duplicate entries dir -> symlink: the symlink replaces the directory tree', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'z/', type: 'dir' }, { name: 'z/in', data: 'i' }, { name: 'z', type: 'symlink', linkname: '/elsewhere' }]);
  assert.equal(await readlink(join(s.root, 'z')), '/elsewhere');
});

test('maxBytes stops a decompression bomb after the limit, not after the whole layer', async (t) => {
  const s = await hostileScene(t);
  const gb = 1024 * 1024 * 1024;
  // A tar announcing a 1 GiB file, streamed on the fly (never in memory); then the same through gzip.
  const header = tarBytes([{ name: 'bomb', size: gb }], { end: 'none' });
  async function* bomb(): AsyncGenerator<Buffer> {
    yield header;
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 1024; i++) yield zeros;
    yield Buffer.alloc(1024);
  }
  const started = Date.now();
  await assertRefused(applyLayer(s.root, bomb(), { whiteouts: 'flatten', limits: { maxBytes: 16 * 1024 * 1024 } }), 'LAYER_TOO_LARGE', /more than 16777216 bytes/);
  assert.ok((await lstat(join(s.root, 'bomb'))).size <= 16 * 1024 * 1024);
  assert.ok(Date.now() - started < 5000, 'stopped early');
  const gz = gzipSync(Buffer.concat([header, Buffer.alloc(32 * 1024 * 1024)]));
  await assertRefused(unpackLayer(s.root, Readable.from([gz]), { whiteouts: 'flatten', limits: { maxBytes: 1024 * 1024 } }), 'LAYER_TOO_LARGE');
});

test('an empty archive (just the end marker) applies nothing and succeeds', async (t) => {
  const s = await hostileScene(t);
  const r = await s.apply([]);
  assert.deepEqual([r.entries, r.bytes], [0, 0]);
});

test('a cancelled signal stops the application with CancelledError', async (t) => {
  const s = await hostileScene(t);
  const ac = new AbortController();
  ac.abort();
  await assertRefused(s.apply([{ name: 'f', data: 'x' }], { signal: ac.signal }), 'CANCELLED');
});

test('applying into a root that does not exist fails with NOT_FOUND and creates nothing', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(applyLayer(join(s.root, 'missing'), Readable.from([tarBytes([{ name: 'f', data: 'x' }])]), { whiteouts: 'flatten' }), 'NOT_FOUND');
  assert.deepEqual(await readdir(s.root), []);
});
