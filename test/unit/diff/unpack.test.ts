/** unpackLayer and diffIdOf: the DiffID covers the whole stream; compression faults fail (formats.md 1.1, E.37, F.38, F.40). */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import type { Digest } from '../../../src/core/digest.js';
import { DigestMismatchError } from '../../../src/core/errors.js';
import { diffIdOf, unpackLayer } from '../../../src/diff/unpack.js';
import { assertRefused } from '../../helpers/hostile-scene.js';
import { chunked, tarBytes } from '../../helpers/tar-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
const layer = tarBytes([{ name: 'etc/', type: 'dir' }, { name: 'etc/os-release', data: 'ID=lifeboat\n' }]);
const flip = (b: Buffer, at: number) => b.writeUInt8(b.readUInt8(at) ^ 0xff, at);

test('the DiffID of the empty tar is the well-known sha256:5f70bf18...', async () => {
  assert.equal(await diffIdOf(Readable.from([Buffer.alloc(1024)])), 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
});

test('an archive with trailing garbage after the end marker has a DiffID covering the garbage', async (t) => {
  const root = await tempDir(t);
  // More garbage than one decompressor chunk, fed in small pieces: only reading to the end hashes it all.
  const withGarbage = Buffer.concat([layer, Buffer.from('trailing garbage, and then some padding'), randomBytes(300_000)]);
  const r = await unpackLayer(root, chunked(gzipSync(withGarbage), 100), { whiteouts: 'flatten', diffId: sha(withGarbage) });
  assert.equal(r.diffId, sha(withGarbage));
  assert.notEqual(r.diffId, sha(layer));
  assert.equal(r.compression, 'gzip');
  assert.equal(await diffIdOf(Readable.from([gzipSync(withGarbage)])), sha(withGarbage));
  assert.equal(await readFile(join(root, 'etc/os-release'), 'utf8'), 'ID=lifeboat\n');
});

test('a wrong diffId throws DigestMismatchError', async (t) => {
  const root = await tempDir(t);
  const wrong = sha(Buffer.from('something else'));
  await assert.rejects(unpackLayer(root, Readable.from([gzipSync(layer)]), { whiteouts: 'flatten', diffId: wrong }), (e: unknown) => {
    assert.ok(e instanceof DigestMismatchError);
    assert.equal(e.data.expected, wrong);
    assert.equal(e.data.actual, sha(layer));
    return true;
  });
});

test('a truncated gzip layer fails', async (t) => {
  const gz = gzipSync(layer);
  await assertRefused(unpackLayer(await tempDir(t), Readable.from([gz.subarray(0, gz.length - 4)]), { whiteouts: 'flatten' }), 'BAD_COMPRESSION', /unexpected end/);
});

test('a bad gzip CRC fails even though the tar end marker comes long before the gzip trailer', async (t) => {
  const big = Buffer.concat([tarBytes([{ name: 'noise', data: randomBytes(400_000) }]), Buffer.alloc(200_000)]);
  const gz = gzipSync(big);
  flip(gz, gz.length - 8);
  await assertRefused(unpackLayer(await tempDir(t), chunked(gz, 1000), { whiteouts: 'flatten' }), 'BAD_COMPRESSION', /incorrect data check/);
  await assertRefused(diffIdOf(Readable.from([gz])), 'BAD_COMPRESSION');
});

test('non-gzip bytes after the gzip stream fail', async (t) => {
  const gz = Buffer.concat([gzipSync(layer), Buffer.from('junk')]);
  await assertRefused(unpackLayer(await tempDir(t), Readable.from([gz]), { whiteouts: 'flatten' }), 'BAD_COMPRESSION');
});

test('a zstd layer is sniffed and unpacked; a truncated one fails', async (t) => {
  const z = zstdCompress(layer);
  const r = await unpackLayer(await tempDir(t), chunked(z, 7), { whiteouts: 'flatten' });
  assert.deepEqual([r.compression, r.diffId], ['zstd', sha(layer)]);
  await assertRefused(unpackLayer(await tempDir(t), Readable.from([z.subarray(0, z.length - 3)]), { whiteouts: 'flatten' }), 'BAD_COMPRESSION');
});

test('a declared compression that does not match the bytes fails instead of being guessed (F.40)', async (t) => {
  await assertRefused(unpackLayer(await tempDir(t), Readable.from([layer]), { whiteouts: 'flatten', compression: 'gzip' }), 'BAD_COMPRESSION');
  await assertRefused(unpackLayer(await tempDir(t), Readable.from([gzipSync(layer)]), { whiteouts: 'flatten', compression: 'none' }), 'BAD_TAR');
  const r = await unpackLayer(await tempDir(t), Readable.from([gzipSync(layer)]), { whiteouts: 'flatten', compression: 'gzip' });
  assert.equal(r.diffId, sha(layer));
});

test('an error from the source (say, a blob that failed verification) reaches the caller', async (t) => {
  const root = await tempDir(t);
  const source = new Readable({ read() {} });
  source.push(gzipSync(layer).subarray(0, 20));
  setImmediate(() => source.destroy(new DigestMismatchError('sha256:aa', 'sha256:bb', 'blob')));
  await assert.rejects(unpackLayer(root, source, { whiteouts: 'flatten' }), DigestMismatchError);
  assert.deepEqual(await readdir(root), []);
});
