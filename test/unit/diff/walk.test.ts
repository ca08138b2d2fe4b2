/** diffEntries: order, hardlinks, exclusions, refusals, and the overlay-upper conversions (formats.md 1.7). */
import assert from 'node:assert/strict';
import { link, mkdir, truncate, utimes, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffEntries, type DiffOptions } from '../../../src/diff/walk.js';
import { writeTar, type TarWriteEntry } from '../../../src/diff/tar/tar-writer.js';
import { native, S_IFCHR } from '../../../src/platform/native.js';
import { assertRefused } from '../../helpers/hostile-scene.js';
import { needs } from '../../helpers/requirements.js';
import { tempDir } from '../../helpers/tmp.js';

async function collect(root: string, opts: DiffOptions = { source: 'plain' }): Promise<TarWriteEntry[]> {
  const out: TarWriteEntry[] = [];
  for await (const e of diffEntries(root, opts)) out.push(e);
  return out;
}
const paths = (es: TarWriteEntry[]) => es.map((e) => e.header.path);
const set = (p: string, name: string, v: string) => native.lsetxattr(p, name, Buffer.from(v));

test('entries come depth first, parents before children, each directory in bytewise name order', async (t) => {
  const root = await tempDir(t);
  for (const d of ['a', 'a/x']) await mkdir(join(root, d));
  for (const f of ['b', 'A', 'a-c', '.hidden', 'é', 'a/x/f', 'a/Z']) await writeFile(join(root, f), f);
  assert.deepEqual(paths(await collect(root)), ['.hidden', 'A', 'a', 'a/Z', 'a/x', 'a/x/f', 'a-c', 'b', 'é']);
});

test('a multiply-linked file is stored once, then as hardlinks to the first path', async (t) => {
  const root = await tempDir(t);
  await writeFile(join(root, 'one'), 'data');
  await link(join(root, 'one'), join(root, 'two'));
  const es = await collect(root);
  assert.deepEqual(es.map((e) => [e.header.path, e.header.type, e.header.linkname, e.header.size]), [['one', 'file', '', 4], ['two', 'hardlink', 'one', 0]]);
});

test('excludeContents keeps a mount point directory but leaves out what is inside it', async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, 'data/vol/deep'), { recursive: true });
  await writeFile(join(root, 'data/vol/secret'), 'volume data');
  await writeFile(join(root, 'data/keep'), 'k');
  assert.deepEqual(paths(await collect(root, { source: 'plain', excludeContents: ['/data/vol/'] })), ['data', 'data/keep', 'data/vol']);
  assert.deepEqual(paths(await collect(root, { source: 'plain', excludeContents: ['./data/vol'] })), ['data', 'data/keep', 'data/vol']);
});

test('mtimes are whole seconds (floored), owners numeric, user names left out', async (t) => {
  const root = await tempDir(t);
  await writeFile(join(root, 'f'), 'x');
  await utimes(join(root, 'f'), 1234.999, 1234.999);
  const [e] = await collect(root);
  assert.deepEqual([e!.header.mtime, e!.header.uname, e!.header.uid], [1234, undefined, process.getuid!()]);
});

test('a plain-tree file named .wh.x is refused: it would be a whiteout in the layer', async (t) => {
  const root = await tempDir(t);
  await writeFile(join(root, '.wh.passwd'), 'innocent?');
  await assertRefused(collect(root), 'BAD_FILE_NAME', /\.wh\./);
});

test('a file name that is not UTF-8 is refused with a clear message', async (t) => {
  const root = await tempDir(t);
  await writeFile(Buffer.concat([Buffer.from(`${root}/bad-`), Buffer.from([0xff, 0xfe])]), 'x');
  await assertRefused(collect(root), 'BAD_FILE_NAME', /not valid UTF-8/);
});

test('sockets are left out (tar has no type for them)', async (t) => {
  const root = await tempDir(t);
  const server = createServer().listen(join(root, 'sock'));
  t.after(() => server.close());
  await new Promise((r) => server.once('listening', r));
  await writeFile(join(root, 'f'), 'x');
  assert.deepEqual(paths(await collect(root)), ['f']);
});

test('a file that shrinks while it is read fails the layer instead of corrupting it', async (t) => {
  const root = await tempDir(t);
  await writeFile(join(root, 'f'), Buffer.alloc(100_000, 1));
  async function* shrinking(): AsyncGenerator<TarWriteEntry> {
    for await (const e of diffEntries(root, { source: 'plain' })) {
      await truncate(join(root, 'f'), 10);
      yield e;
    }
  }
  await assert.rejects(async () => {
    for await (const _ of writeTar(shrinking()));
  }, /10 bytes, 100000 expected/);
});

test('overlay-upper: 0/0 char devices become .wh.<name>, sorted under that name; a shared whiteout inode is no hardlink', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, 'd'));
  native.mknod(join(root, 'd/gone'), S_IFCHR, 0, 0);
  await link(join(root, 'd/gone'), join(root, 'd/also-gone')); // the kernel shares one whiteout inode
  await writeFile(join(root, 'd/-first'), 'x');
  await writeFile(join(root, 'd/zz'), 'x');
  native.mknod(join(root, 'dev-real'), S_IFCHR | 0o600, 1, 3);
  const es = await collect(root, { source: 'overlay-upper' });
  assert.deepEqual(paths(es), ['d', 'd/-first', 'd/.wh.also-gone', 'd/.wh.gone', 'd/zz', 'dev-real']);
  const wh = es.find((e) => e.header.path === 'd/.wh.gone')!.header;
  assert.deepEqual([wh.type, wh.size, wh.mode], ['file', 0, 0o600]);
  assert.equal(es.find((e) => e.header.path === 'dev-real')!.header.type, 'char');
  const plain = await collect(root, { source: 'plain' });
  const kinds = plain.filter((e) => e.header.path.includes('gone')).map((e) => [e.header.path, e.header.type, e.header.linkname]);
  assert.deepEqual(kinds, [['d/also-gone', 'char', ''], ['d/gone', 'hardlink', 'd/also-gone']], 'plain mode keeps the device (and its links)');
});

test('overlay-upper: lowerHas drops whiteouts for names no lower layer has', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  native.mknod(join(root, 'in-lower'), S_IFCHR, 0, 0);
  native.mknod(join(root, 'never-existed'), S_IFCHR, 0, 0);
  const asked: string[] = [];
  const lowerHas = async (p: string) => (asked.push(p), p === 'in-lower');
  assert.deepEqual(paths(await collect(root, { source: 'overlay-upper', lowerHas })), ['.wh.in-lower']);
  assert.deepEqual(asked.sort(), ['in-lower', 'never-existed']);
});

test('overlay-upper: an opaque directory gives its entry then .wh..wh..opq; overlay xattrs are stripped', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  for (const d of ['t', 'u', 'x']) await mkdir(join(root, d));
  await writeFile(join(root, 't/a'), 'a');
  set(join(root, 't'), 'trusted.overlay.opaque', 'y');
  set(join(root, 't'), 'trusted.overlay.origin', 'whatever');
  set(join(root, 't'), 'user.keep', 'kept');
  set(join(root, 'u'), 'user.overlay.opaque', 'y');
  set(join(root, 'x'), 'trusted.overlay.opaque', 'x'); // xwhiteout parent: not an opaque directory
  const es = await collect(root, { source: 'overlay-upper' });
  assert.deepEqual(paths(es), ['t', 't/.wh..wh..opq', 't/a', 'u', 'u/.wh..wh..opq', 'x']);
  assert.deepEqual([...es[0]!.header.xattrs.keys()], ['user.keep']);
  assert.equal(es[5]!.header.xattrs.size, 0);
});

for (const name of ['trusted.overlay.redirect', 'trusted.overlay.metacopy', 'user.overlay.redirect']) {
  test(`overlay-upper: ${name} is refused (the upper alone would give a wrong diff)`, { skip: needs({ root: true }) }, async (t) => {
    const root = await tempDir(t);
    await mkdir(join(root, 'moved'));
    set(join(root, 'moved'), name, '/old');
    await assertRefused(collect(root, { source: 'overlay-upper' }), 'UNSUPPORTED_UPPER', /redirect_dir or metacopy/);
  });
}
