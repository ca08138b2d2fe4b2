/** Special files and metadata (formats.md section 2, E.29–E.31): devices, owners, modes, xattrs, times. */
import assert from 'node:assert/strict';
import { lstat, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { devMajor, devMinor, native } from '../../../src/platform/native.js';
import { assertRefused, hostileScene } from '../../helpers/hostile-scene.js';
import { needs } from '../../helpers/requirements.js';

/** A valid VFS_CAP_REVISION_2 blob: cap_net_bind_service (bit 10) permitted + effective. */
const CAP_NET_BIND_SERVICE = Buffer.from('0100000200040000000000000000000000000000', 'hex');

test('as root, char and block devices are created with their numbers; FIFOs too', { skip: needs({ root: true }) }, async (t) => {
  const s = await hostileScene(t);
  const r = await s.apply([
    { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
    { name: 'dev/loop0', type: 'block', devmajor: 7, devminor: 0, mode: 0o660, gid: 6 },
    { name: 'dev/big', type: 'char', devmajor: 0xfff, devminor: 0xfffff },
    { name: 'fifo', type: 'fifo', mode: 0o620 },
  ]);
  const cnull = await lstat(join(s.root, 'dev/null'));
  assert.ok(cnull.isCharacterDevice());
  assert.deepEqual([devMajor(cnull.rdev), devMinor(cnull.rdev), cnull.mode & 0o7777], [1, 3, 0o666]);
  const loop = await lstat(join(s.root, 'dev/loop0'));
  assert.ok(loop.isBlockDevice());
  assert.deepEqual([devMajor(loop.rdev), devMinor(loop.rdev), loop.gid], [7, 0, 6]);
  const big = await lstat(join(s.root, 'dev/big'));
  assert.deepEqual([devMajor(big.rdev), devMinor(big.rdev)], [0xfff, 0xfffff]);
  const fifo = await lstat(join(s.root, 'fifo'));
  assert.ok(fifo.isFIFO());
  assert.equal(fifo.mode & 0o7777, 0o620);
  assert.equal(r.skipped.devices, 0);
});

for (const [major, minor] of [[0x1000, 0], [0, 0x100000], [2 ** 32, 1], [2 ** 40, 0]] as const) {
  test(`device number ${major}:${minor} (out of range for Linux, would alias another device) is refused`, async (t) => {
    const s = await hostileScene(t);
    await assertRefused(s.apply([{ name: 'dev/evil', type: 'char', devmajor: major, devminor: minor }]), 'HOSTILE_ARCHIVE', /out of range/);
  });
}

test('a negative device number (base-256 0xff) is refused by the reader', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'dev/evil', type: 'char', devmajor: -1 }]), 'BAD_TAR', /negative/);
});

test('setuid, setgid and sticky survive the chown (chmod comes after lchown)', { skip: needs({ root: true }) }, async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: 'suid', data: '#!/bin/sh\n', mode: 0o4755, uid: 1000, gid: 1000 },
    { name: 'sgid/', type: 'dir', mode: 0o2775, uid: 1000, gid: 50 },
    { name: 'tmp/', type: 'dir', mode: 0o1777 },
  ]);
  const suid = await stat(join(s.root, 'suid'));
  assert.deepEqual([suid.mode & 0o7777, suid.uid, suid.gid], [0o4755, 1000, 1000]);
  const sgid = await stat(join(s.root, 'sgid'));
  assert.deepEqual([sgid.mode & 0o7777, sgid.uid, sgid.gid], [0o2775, 1000, 50]);
  assert.equal((await stat(join(s.root, 'tmp'))).mode & 0o7777, 0o1777);
});

test('security.capability survives the chown that would clear it', { skip: needs({ root: true }) }, async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'ping', data: 'ELF', mode: 0o755, uid: 0, gid: 0, xattrs: { 'security.capability': CAP_NET_BIND_SERVICE } }]);
  assert.deepEqual(native.lgetxattr(join(s.root, 'ping'), 'security.capability'), CAP_NET_BIND_SERVICE);
});

test('xattrs with binary values (NUL, 0xff, newline) are applied byte for byte', async (t) => {
  const s = await hostileScene(t);
  const value = Buffer.from([0, 1, 0xff, 0x0a, 0x3d, 0x20, 0]);
  await s.apply([{ name: 'f', data: 'x', xattrs: { 'user.bin': value, 'user.empty': Buffer.alloc(0), 'trusted.t': 'tv' } }]);
  assert.deepEqual(native.lgetxattr(join(s.root, 'f'), 'user.bin'), value);
  assert.deepEqual(native.lgetxattr(join(s.root, 'f'), 'user.empty'), Buffer.alloc(0));
  assert.equal(native.lgetxattr(join(s.root, 'f'), 'trusted.t')?.toString(), 'tv');
});

test('user.* xattrs on a symlink (refused by the kernel) are skipped and counted, not fatal', async (t) => {
  const s = await hostileScene(t);
  const r = await s.apply([{ name: 'l', type: 'symlink', linkname: 'x', xattrs: { 'user.x': 'y', 'trusted.ok': 'z' } }]);
  assert.equal(r.skipped.xattrs, 1);
  assert.equal(native.lgetxattr(join(s.root, 'l'), 'trusted.ok')?.toString(), 'z', 'trusted.* on a symlink works as root');
});

test('owners are numeric uid/gid (uname/gname ignored); sameOwner=false leaves them to the process', { skip: needs({ root: true }) }, async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'owned', data: 'x', uid: 1234, gid: 5678 }, { name: 'link', type: 'symlink', linkname: 'owned', uid: 99, gid: 98 }]);
  const f = await lstat(join(s.root, 'owned'));
  assert.deepEqual([f.uid, f.gid], [1234, 5678]);
  const l = await lstat(join(s.root, 'link'));
  assert.deepEqual([l.uid, l.gid], [99, 98], 'lchown: the symlink itself, not its target');
  await s.apply([{ name: 'mine', data: 'x', uid: 1234, gid: 5678 }], { sameOwner: false });
  const m = await lstat(join(s.root, 'mine'));
  assert.deepEqual([m.uid, m.gid], [process.getuid!(), process.getgid!()]);
});

test('an out-of-range uid is refused before it reaches lchown', { skip: needs({ root: true }) }, async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'f', data: 'x', pax: { uid: '4294967295' } }]), 'HOSTILE_ARCHIVE', /invalid uid/);
});

test('mtimes: files and symlinks at once, directories after their children are written', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: 'd/', type: 'dir', mtime: 1_000_000_000 },
    { name: 'd/f', data: 'x', mtime: 1_100_000_000 },
    { name: 'd/l', type: 'symlink', linkname: 'f', mtime: 1_200_000_000 },
    { name: 'd/e/', type: 'dir', mtime: 1_300_000_000 },
    { name: 'd/e/g', data: 'y', mtime: 1_400_000_000 },
  ]);
  const sec = async (p: string) => Math.floor((await lstat(join(s.root, p))).mtimeMs / 1000);
  assert.deepEqual(
    [await sec('d'), await sec('d/f'), await sec('d/l'), await sec('d/e'), await sec('d/e/g')],
    [1_000_000_000, 1_100_000_000, 1_200_000_000, 1_300_000_000, 1_400_000_000],
  );
});

test('a directory entry over an existing directory merges: children stay, the entry metadata wins', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'd/', type: 'dir', mode: 0o700 }, { name: 'd/old', data: 'lower' }]);
  await s.apply([{ name: 'd/', type: 'dir', mode: 0o751, xattrs: { 'user.v': '2' } }, { name: 'd/new', data: 'upper' }]);
  assert.equal((await stat(join(s.root, 'd'))).mode & 0o7777, 0o751);
  assert.equal(await readFile(join(s.root, 'd/old'), 'utf8'), 'lower');
  assert.equal(native.lgetxattr(join(s.root, 'd'), 'user.v')?.toString(), '2');
});
