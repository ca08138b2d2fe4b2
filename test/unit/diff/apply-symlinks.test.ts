/** Hostile symlinks (formats.md section 2, B.8–B.14): writes through links stay inside the root. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, readdir, readlink, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertRefused, hostileScene } from '../../helpers/hostile-scene.js';

const sha = async (p: string) => createHash('sha256').update(await readFile(p)).digest('hex');

test('symlink to an absolute host path, then a write through it, stays inside the root', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: 'loophole', type: 'symlink', linkname: s.victim },
    { name: 'loophole/pwned', data: 'x' },
    { name: 'loophole/hello', data: 'overwritten?' },
  ]);
  assert.equal(await readlink(join(s.root, 'loophole')), s.victim, 'the target is stored verbatim');
  assert.equal(await readFile(join(s.root, s.victim, 'pwned'), 'utf8'), 'x');
  assert.equal(await readFile(join(s.root, s.victim, 'hello'), 'utf8'), 'overwritten?');
  await s.assertVictimUntouched();
});

test('symlink localetc -> /etc, then a write to localetc/passwd, lands in <root>/etc/passwd', async (t) => {
  const s = await hostileScene(t);
  const host = await sha('/etc/passwd');
  await s.apply([
    { name: 'etc/', type: 'dir' },
    { name: 'localetc', type: 'symlink', linkname: '/etc' },
    { name: 'localetc/passwd', data: 'root::0:0::/:/bin/sh\n' },
  ]);
  assert.equal(await readFile(join(s.root, 'etc/passwd'), 'utf8'), 'root::0:0::/:/bin/sh\n');
  assert.equal(await readlink(join(s.root, 'localetc')), '/etc');
  assert.equal(await sha('/etc/passwd'), host, 'the host /etc/passwd is untouched');
});

test('etc -> /etc is a loop inside the root (ELOOP), never a way to the host /etc', async (t) => {
  const s = await hostileScene(t);
  const host = await sha('/etc/passwd');
  await assertRefused(s.apply([{ name: 'etc', type: 'symlink', linkname: '/etc' }, { name: 'etc/passwd', data: 'x' }]), 'HOSTILE_ARCHIVE', /ELOOP/);
  assert.equal(await sha('/etc/passwd'), host, 'the host /etc/passwd is untouched');
});

test('symlink to ../victim, then a write through it, stays inside the root', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'loophole-victim', type: 'symlink', linkname: '../victim' }, { name: 'loophole-victim/pwned', data: 'x' }]);
  assert.equal(await readFile(join(s.root, 'victim/pwned'), 'utf8'), 'x', '.. stops at the root');
  await s.assertVictimUntouched();
});

test('nested symlink dir/loophole -> ../../victim, then a write through it, stays inside the root', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: 'dir/', type: 'dir' },
    { name: 'dir/loophole', type: 'symlink', linkname: '../../victim' },
    { name: 'dir/loophole/pwned', data: 'x' },
  ]);
  assert.equal(await readFile(join(s.root, 'victim/pwned'), 'utf8'), 'x');
  await s.assertVictimUntouched();
});

test('symlink up and out (/dummy/../victim) is resolved inside the root without stray directories', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'link', type: 'symlink', linkname: `/dummy/..${s.victim}` }, { name: 'link/pwned', data: 'x' }]);
  assert.equal(await readFile(join(s.root, s.victim, 'pwned'), 'utf8'), 'x');
  assert.deepEqual((await readdir(s.root)).sort(), [s.victim.split('/')[1]!, 'link'].sort(), 'no "dummy" directory was made');
  await s.assertVictimUntouched();
});

test('var/run -> /run, then var/run/x/y, creates <root>/run/x/y and keeps the link verbatim', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: 'var/', type: 'dir' },
    { name: 'var/run', type: 'symlink', linkname: '/run' },
    { name: 'var/run/x/y', data: 'y' },
  ]);
  assert.equal(await readlink(join(s.root, 'var/run')), '/run');
  assert.equal(await readFile(join(s.root, 'run/x/y'), 'utf8'), 'y');
});

test('absolute symlink targets are stored verbatim (bin/sh -> /usr/bin/dash), unlike node-tar', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'bin/sh', type: 'symlink', linkname: '/usr/bin/dash' }, { name: 'rel', type: 'symlink', linkname: '../../x/./y' }]);
  assert.equal(await readlink(join(s.root, 'bin/sh')), '/usr/bin/dash');
  assert.equal(await readlink(join(s.root, 'rel')), '../../x/./y');
});

test('symlink loop a -> b, b -> a: a write through it fails with ELOOP instead of hanging', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(
    s.apply([{ name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }, { name: 'a/x', data: 'x' }]),
    'HOSTILE_ARCHIVE',
    /ELOOP/,
  );
});

test('a chain of 50 symlinks is refused (ELOOP) while a chain of 10 resolves', async (t) => {
  const s = await hostileScene(t);
  const chain = (n: number, p: string) => [
    { name: `${p}0/`, type: 'dir' as const },
    ...Array.from({ length: n }, (_, i) => ({ name: `${p}${i + 1}`, type: 'symlink' as const, linkname: `${p}${i}` })),
  ];
  await s.apply([...chain(10, 'ok'), { name: 'ok10/file', data: 'x' }]);
  assert.equal(await readFile(join(s.root, 'ok0/file'), 'utf8'), 'x');
  await assertRefused(s.apply([...chain(50, 'long'), { name: 'long50/file', data: 'x' }]), 'HOSTILE_ARCHIVE', /ELOOP/);
});

test('a pre-existing symlink at the final name is replaced, never written through', async (t) => {
  const s = await hostileScene(t);
  await symlink(join(s.victim, 'hello'), join(s.root, 'f'));
  await symlink(join(s.victim, 'new-file'), join(s.root, 'dangling'));
  await s.apply([{ name: 'f', data: 'replaced' }, { name: 'dangling', data: 'replaced' }]);
  assert.ok((await lstat(join(s.root, 'f'))).isFile());
  assert.equal(await readFile(join(s.root, 'f'), 'utf8'), 'replaced');
  assert.ok((await lstat(join(s.root, 'dangling'))).isFile(), 'a dangling link is replaced, its target never created');
  await s.assertVictimUntouched();
});

test('a pre-existing symlink to a directory is replaced by a directory entry, not merged through', async (t) => {
  const s = await hostileScene(t);
  await symlink(s.victim, join(s.root, 'd'));
  await s.apply([{ name: 'd/', type: 'dir', mode: 0o777, uid: 4242 }, { name: 'd/pwned', data: 'x' }]);
  assert.ok((await lstat(join(s.root, 'd'))).isDirectory());
  assert.equal((await stat(join(s.root, 'd'))).mode & 0o777, 0o777);
  await s.assertVictimUntouched();
});

test('a symlink named .. is refused', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: '..', type: 'symlink', linkname: s.victim }]), 'HOSTILE_ARCHIVE');
  await s.assertVictimUntouched();
});

test('symlink localetc/sub/.. becomes localetc -> /etc/, and a hardlink through it targets <root>/etc/passwd', async (t) => {
  const s = await hostileScene(t);
  const hostLinks = (await stat('/etc/passwd')).nlink;
  await s.apply([
    { name: 'etc/', type: 'dir' },
    { name: 'etc/passwd', data: 'inside' },
    { name: 'localetc/sub/..', type: 'symlink', linkname: '/etc/' },
    { name: 'pwn', type: 'hardlink', linkname: 'localetc/passwd' },
  ]);
  assert.equal(await readlink(join(s.root, 'localetc')), '/etc/');
  assert.equal((await stat(join(s.root, 'pwn'))).ino, (await stat(join(s.root, 'etc/passwd'))).ino);
  assert.equal((await stat('/etc/passwd')).nlink, hostLinks, 'the host /etc/passwd gained no link');
});

test('directory cache poisoning: dir d, then symlink d -> victim, then d/pwned stays inside the root (CVE-2021-32803)', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: 'd/', type: 'dir' },
    { name: 'd/first', data: 'resolves and remembers d as a directory' },
    { name: 'd', type: 'symlink', linkname: s.victim },
    { name: 'd/pwned', data: 'x' },
  ]);
  assert.equal(await readFile(join(s.root, s.victim, 'pwned'), 'utf8'), 'x', 'the write followed the new link, re-rooted');
  await s.assertVictimUntouched();
});

test('a directory replaced by a symlink later in the layer does not redirect deferred metadata', async (t) => {
  const s = await hostileScene(t);
  await mkdir(join(s.root, 'target'));
  await s.apply([
    { name: 'd/', type: 'dir', mode: 0o700 },
    { name: 'd/sub/', type: 'dir', mode: 0o777 },
    { name: 'd', type: 'symlink', linkname: s.victim },
  ]);
  assert.ok((await lstat(join(s.root, 'd'))).isSymbolicLink());
  await s.assertVictimUntouched();
});
