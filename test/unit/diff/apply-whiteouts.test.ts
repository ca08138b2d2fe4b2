/** Whiteouts (formats.md 1.6, 1.7 and section 2 D.23–D.27), in flatten and overlay mode. */
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { native } from '../../../src/platform/native.js';
import { assertRefused, hostileScene, type HostileScene } from '../../helpers/hostile-scene.js';

/** A lower layer already in the root: dir/{a,b,sub/c}, keep, gone. */
async function lower(s: HostileScene): Promise<void> {
  await mkdir(join(s.root, 'dir/sub'), { recursive: true });
  for (const f of ['dir/a', 'dir/b', 'dir/sub/c', 'keep', 'gone']) await writeFile(join(s.root, f), `lower ${f}`);
}
const ls = async (p: string) => (await readdir(p)).sort();

for (const name of ['.wh.', '.wh..', '.wh...', 'dir/.wh..', 'dir/.wh...', 'dir/.wh.']) {
  test(`whiteout ${JSON.stringify(name)} is refused and deletes nothing (root, parent and lower stay)`, async (t) => {
    const s = await hostileScene(t);
    await lower(s);
    await assertRefused(s.apply([{ name }]), 'HOSTILE_ARCHIVE', /invalid whiteout/);
    assert.deepEqual(await ls(s.root), ['dir', 'gone', 'keep']);
    assert.deepEqual(await ls(join(s.root, 'dir')), ['a', 'b', 'sub']);
    await s.assertVictimUntouched();
  });
}

test('flatten: .wh.<name> deletes the lower file and the marker is never written', async (t) => {
  const s = await hostileScene(t);
  await lower(s);
  await s.apply([{ name: '.wh.gone' }, { name: 'dir/.wh.sub' }]);
  assert.deepEqual(await ls(s.root), ['dir', 'keep']);
  assert.deepEqual(await ls(join(s.root, 'dir')), ['a', 'b']);
});

test('flatten: opaque marker before the siblings hides every lower child, not the directory', async (t) => {
  const s = await hostileScene(t);
  await lower(s);
  await s.apply([{ name: 'dir/', type: 'dir' }, { name: 'dir/.wh..wh..opq' }, { name: 'dir/new', data: 'n' }]);
  assert.deepEqual(await ls(join(s.root, 'dir')), ['new']);
});

test('flatten: opaque marker after same-layer siblings keeps them and removes only lower ones', async (t) => {
  const s = await hostileScene(t);
  await lower(s);
  await s.apply([
    { name: 'dir/', type: 'dir' },
    { name: 'dir/-early', data: 'same layer' },
    { name: 'dir/a', data: 'replaced in this layer' },
    { name: 'dir/sub/new', data: 'same layer, in a lower subdir' },
    { name: 'dir/.wh..wh..opq' },
  ]);
  assert.deepEqual(await ls(join(s.root, 'dir')), ['-early', 'a', 'sub']);
  assert.deepEqual(await ls(join(s.root, 'dir/sub')), ['new'], 'lower dir/sub/c is hidden, the new file stays');
  assert.equal(await readFile(join(s.root, 'dir/a'), 'utf8'), 'replaced in this layer');
});

test('flatten: whiteout, then a same-layer entry with that name: the entry stays', async (t) => {
  const s = await hostileScene(t);
  await lower(s);
  await s.apply([{ name: '.wh.keep' }, { name: 'keep', data: 'new' }]);
  assert.equal(await readFile(join(s.root, 'keep'), 'utf8'), 'new');
});

test('flatten: a same-layer entry, then a whiteout of that name: the entry stays (whiteouts hide lower layers only)', async (t) => {
  const s = await hostileScene(t);
  await lower(s);
  await s.apply([{ name: 'keep', data: 'new' }, { name: '.wh.keep' }, { name: 'fresh/', type: 'dir' }, { name: 'fresh/f', data: 'f' }, { name: '.wh.fresh' }]);
  assert.equal(await readFile(join(s.root, 'keep'), 'utf8'), 'new');
  assert.equal(await readFile(join(s.root, 'fresh/f'), 'utf8'), 'f');
});

test('a whiteout marker with a payload deletes its target and never writes the payload', async (t) => {
  const s = await hostileScene(t);
  await lower(s);
  await s.apply([{ name: '.wh.gone', data: 'payload that must not land anywhere' }, { name: 'after', data: 'ok' }]);
  assert.deepEqual(await ls(s.root), ['after', 'dir', 'keep']);
});

test('whiteout markers typed as symlink, hardlink or a 0/0 char device are still only whiteouts', async (t) => {
  const s = await hostileScene(t);
  await lower(s);
  await s.apply([
    { name: '.wh.gone', type: 'symlink', linkname: s.victim },
    { name: 'dir/.wh.a', type: 'char', devmajor: 0, devminor: 0 },
    { name: 'dir/.wh.b', type: 'hardlink', linkname: '../victim/hello' },
  ]);
  assert.deepEqual(await ls(s.root), ['dir', 'keep']);
  assert.deepEqual(await ls(join(s.root, 'dir')), ['sub']);
  await s.assertVictimUntouched();
});

test('a whiteout through a lower symlink to the host deletes inside the root only', async (t) => {
  const s = await hostileScene(t);
  await symlink(s.victim, join(s.root, 'lnk'));
  await s.apply([{ name: 'lnk/.wh.hello' }, { name: 'lnk/.wh..wh..opq' }]);
  await s.assertVictimUntouched();
  assert.ok((await lstat(join(s.root, 'lnk'))).isSymbolicLink());
});

test('AUFS metadata (.wh..wh.plnk and what is below it, .wh..wh.aufs) is skipped', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: '.wh..wh.plnk/', type: 'dir' },
    { name: '.wh..wh.plnk/1234.5678', data: 'x' },
    { name: '.wh..wh.aufs', data: 'x' },
    { name: 'real', data: 'y' },
  ]);
  assert.deepEqual(await ls(s.root), ['real']);
});

test('thousands of duplicate opaque markers over a big directory stay linear (GHSA-rp3h-jf77-q9p4)', async (t) => {
  const s = await hostileScene(t);
  const files = Array.from({ length: 2000 }, (_, i) => ({ name: `big/f${i}`, data: '' }));
  const markers = Array.from({ length: 20_000 }, () => ({ name: 'big/.wh..wh..opq' }));
  // Linear: the markers cost next to nothing. A rescan per marker is 40 million lstat calls, which
  // the 30 s signal cuts short (generous, so a loaded machine does not fail the linear case).
  await s.apply([{ name: 'big/', type: 'dir' }, ...files, ...markers], { signal: AbortSignal.timeout(30_000) });
  assert.equal((await readdir(join(s.root, 'big'))).length, 2000, 'same-layer files survive every marker');
});

test('overlay: .wh.<name> becomes a 0/0 char device and .wh..wh..opq the opaque xattr', async (t) => {
  const s = await hostileScene(t);
  await s.apply(
    [{ name: 'dir/', type: 'dir' }, { name: 'dir/.wh..wh..opq' }, { name: 'dir/.wh.gone' }, { name: 'dir/kept', data: 'k' }],
    { whiteouts: 'overlay' },
  );
  const wh = await lstat(join(s.root, 'dir/gone'));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'whiteout is a char device 0/0');
  assert.equal(native.lgetxattr(join(s.root, 'dir'), 'trusted.overlay.opaque')?.toString(), 'y');
  assert.deepEqual(await ls(join(s.root, 'dir')), ['gone', 'kept']);
});

test('overlay with the user prefix sets user.overlay.opaque (rootless overlay, userxattr)', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'dir/.wh..wh..opq' }], { whiteouts: 'overlay', overlayXattrPrefix: 'user' });
  assert.equal(native.lgetxattr(join(s.root, 'dir'), 'user.overlay.opaque')?.toString(), 'y');
  assert.equal(native.lgetxattr(join(s.root, 'dir'), 'trusted.overlay.opaque'), null);
});

test('overlay: an archive cannot set overlay xattrs directly; they are escaped (trusted.overlay.overlay.*)', async (t) => {
  const s = await hostileScene(t);
  await s.apply(
    [{ name: 'dir/', type: 'dir', xattrs: { 'trusted.overlay.opaque': 'y', 'user.overlay.redirect': '/x', 'user.note': 'kept' } }],
    { whiteouts: 'overlay' },
  );
  const dir = join(s.root, 'dir');
  assert.equal(native.lgetxattr(dir, 'trusted.overlay.opaque'), null, 'the directory is not opaque');
  assert.equal(native.lgetxattr(dir, 'user.overlay.redirect'), null);
  assert.equal(native.lgetxattr(dir, 'trusted.overlay.overlay.opaque')?.toString(), 'y');
  assert.equal(native.lgetxattr(dir, 'user.overlay.overlay.redirect')?.toString(), '/x');
  assert.equal(native.lgetxattr(dir, 'user.note')?.toString(), 'kept');
});

test('overlay: a whiteout never replaces a same-layer entry of that name', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'x', data: 'same layer' }, { name: '.wh.x' }], { whiteouts: 'overlay' });
  assert.ok((await lstat(join(s.root, 'x'))).isFile());
});

test('flatten: an opaque marker also hides lower names that are not UTF-8', async (t) => {
  const s = await hostileScene(t);
  await mkdir(join(s.root, 'dir'));
  await writeFile(Buffer.concat([Buffer.from(`${s.root}/dir/latin1-`), Buffer.from([0xe9])]), 'lower');
  await s.apply([{ name: 'dir/.wh..wh..opq' }]);
  assert.deepEqual(await readdir(join(s.root, 'dir')), []);
});
