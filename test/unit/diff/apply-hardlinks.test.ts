/** Hostile hardlinks (formats.md section 2, C.16–C.22): targets stay inside the root and exist. */
import assert from 'node:assert/strict';
import { link, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertRefused, hostileScene } from '../../helpers/hostile-scene.js';

for (const target of ['../victim/hello', '/../victim/hello', '../../../../etc/passwd', 'a/../../victim/hello']) {
  test(`hardlink to ${JSON.stringify(target)} is refused and the victim gains no link`, async (t) => {
    const s = await hostileScene(t);
    await assertRefused(s.apply([{ name: 'pwn', type: 'hardlink', linkname: target }]), 'HOSTILE_ARCHIVE', /outside the layer root/);
    await s.assertVictimUntouched();
  });
}

test('hardlink to absolute /etc/passwd is re-rooted: it fails when <root>/etc/passwd is absent', async (t) => {
  const s = await hostileScene(t);
  const hostLinks = (await stat('/etc/passwd')).nlink;
  await assertRefused(s.apply([{ name: 'pwn', type: 'hardlink', linkname: '/etc/passwd' }]), 'BAD_LAYER', /does not exist/);
  assert.equal((await stat('/etc/passwd')).nlink, hostLinks, 'the host /etc/passwd gained no link');
});

test('hardlink to absolute /etc/passwd links <root>/etc/passwd when it exists (kaniko output)', async (t) => {
  const s = await hostileScene(t);
  const hostLinks = (await stat('/etc/passwd')).nlink;
  await s.apply([{ name: 'etc/passwd', data: 'inside' }, { name: 'pwn', type: 'hardlink', linkname: '/etc/passwd' }]);
  assert.equal((await stat(join(s.root, 'pwn'))).ino, (await stat(join(s.root, 'etc/passwd'))).ino);
  assert.equal((await stat('/etc/passwd')).nlink, hostLinks);
});

test('prefix-sibling hardlink ../root-evil/secret is refused (no string-prefix check)', async (t) => {
  const s = await hostileScene(t);
  await mkdir(join(s.base, 'root-evil'));
  await writeFile(join(s.base, 'root-evil/secret'), 'secret');
  await assertRefused(s.apply([{ name: 'pwn', type: 'hardlink', linkname: '../root-evil/secret' }]), 'HOSTILE_ARCHIVE');
  assert.equal((await stat(join(s.base, 'root-evil/secret'))).nlink, 1);
});

test('hardlink through a lower symlink to the host resolves inside the root', async (t) => {
  const s = await hostileScene(t);
  await symlink(s.victim, join(s.root, 'lnk'));
  await assertRefused(s.apply([{ name: 'pwn', type: 'hardlink', linkname: 'lnk/hello' }]), 'BAD_LAYER', /does not exist/);
  await s.assertVictimUntouched();
});

test('a regular file replacing a hardlinked name does not write into the shared inode (CVE-2018-20834)', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: 'a', data: 'original' },
    { name: 'b', type: 'hardlink', linkname: 'a' },
    { name: 'b', data: 'new content' },
  ]);
  assert.equal(await readFile(join(s.root, 'a'), 'utf8'), 'original');
  assert.equal(await readFile(join(s.root, 'b'), 'utf8'), 'new content');
  assert.notEqual((await stat(join(s.root, 'a'))).ino, (await stat(join(s.root, 'b'))).ino);
});

test('a layer file over a lower name hardlinked to a file outside the root leaves that file alone', async (t) => {
  const s = await hostileScene(t);
  await link(join(s.victim, 'hello'), join(s.root, 'shared')); // as if a lower layer had shared an inode
  await s.apply([{ name: 'shared', data: 'layer data' }]);
  assert.equal(await readFile(join(s.victim, 'hello'), 'utf8'), 'original');
  assert.equal(await readFile(join(s.root, 'shared'), 'utf8'), 'layer data');
});

test('hardlink to a file not yet extracted fails (producers write targets first)', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'early', type: 'hardlink', linkname: 'later' }, { name: 'later', data: 'x' }]), 'BAD_LAYER', /does not exist/);
});

test('hardlink to a directory is refused', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'dir/', type: 'dir' }, { name: 'dirlink', type: 'hardlink', linkname: 'dir' }]), 'HOSTILE_ARCHIVE', /directory/);
});

test('hardlink to the root itself is refused', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'rootlink', type: 'hardlink', linkname: './' }]), 'HOSTILE_ARCHIVE', /root/);
});

test('hardlink into AUFS .wh..wh.plnk is refused with a clear message', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'x', type: 'hardlink', linkname: '.wh..wh.plnk/1234.5678' }]), 'BAD_LAYER', /AUFS/);
});

test('hardlink to a lower-layer file works and shares its inode', async (t) => {
  const s = await hostileScene(t);
  await writeFile(join(s.root, 'lower'), 'from below');
  await s.apply([{ name: 'upper', type: 'hardlink', linkname: 'lower' }]);
  assert.equal((await stat(join(s.root, 'upper'))).ino, (await stat(join(s.root, 'lower'))).ino);
});

test('hardlink to a symlink links the symlink itself, not its target', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'sl', type: 'symlink', linkname: join(s.victim, 'hello') }, { name: 'hl', type: 'hardlink', linkname: 'sl' }]);
  const hl = await lstat(join(s.root, 'hl'));
  assert.ok(hl.isSymbolicLink(), 'the link is to the symlink inode');
  assert.equal(hl.ino, (await lstat(join(s.root, 'sl'))).ino);
  await s.assertVictimUntouched();
});

test('hardlink to itself is harmless', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'f', data: 'x' }, { name: 'f', type: 'hardlink', linkname: 'f' }]);
  assert.equal(await readFile(join(s.root, 'f'), 'utf8'), 'x');
});
