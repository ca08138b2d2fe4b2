/** Hostile entry names (formats.md section 2, A.1–A.7): each test names what it blocks. */
import assert from 'node:assert/strict';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertRefused, hostileScene } from '../../helpers/hostile-scene.js';

for (const name of ['../x', '../../x', '..', '../victim/hello', './../victim/pwned', 'a/../../victim/pwned']) {
  test(`entry name ${JSON.stringify(name)} is refused and nothing is written above the root`, async (t) => {
    const s = await hostileScene(t);
    await assertRefused(s.apply([{ name, data: 'pwned' }]), 'HOSTILE_ARCHIVE', /outside the layer root/);
    await s.assertVictimUntouched();
  });
}

test('entry name /../victim/hello (slash-dot-dot) is refused, not re-rooted', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: '/../victim/hello', data: 'pwned' }]), 'HOSTILE_ARCHIVE');
  await s.assertVictimUntouched();
});

test('absolute entry /etc/passwd is re-rooted to <root>/etc/passwd', async (t) => {
  const s = await hostileScene(t);
  const hostPasswd = await readFile('/etc/passwd');
  await s.apply([{ name: '/etc/passwd', data: 'inside' }]);
  assert.equal(await readFile(join(s.root, 'etc/passwd'), 'utf8'), 'inside');
  assert.deepEqual(await readFile('/etc/passwd'), hostPasswd, 'the host file is untouched');
  await s.assertVictimUntouched();
});

test('multi-slash absolute entry ////victim/x is re-rooted (node-tar CVE-2021-32804)', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: `////${s.victim.slice(1)}/x`, data: 'inside' }]);
  assert.equal(await readFile(join(s.root, s.victim, 'x'), 'utf8'), 'inside');
  await s.assertVictimUntouched();
});

test('a/../b inside the root is accepted as b', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'a/../b', data: 'b' }]);
  assert.deepEqual(await readdir(s.root), ['b']);
});

test('names that merely look odd (..gitme, ..., a..b, dir/..x) are accepted', async (t) => {
  const s = await hostileScene(t);
  await s.apply([
    { name: '..gitme', data: '1' },
    { name: '...', data: '2' },
    { name: 'a..b', data: '3' },
    { name: 'dir/', type: 'dir' },
    { name: 'dir/..x', data: '4' },
  ]);
  assert.deepEqual((await readdir(s.root)).sort(), ['...', '..gitme', 'a..b', 'dir']);
  assert.equal(await readFile(join(s.root, 'dir/..x'), 'utf8'), '4');
  await s.assertVictimUntouched();
});

test('long names from PAX path, GNU long name and the ustar prefix land where they say', async (t) => {
  const s = await hostileScene(t);
  const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
  const gnu = `${'g'.repeat(120)}/${'h'.repeat(130)}`;
  const prefixed = `${'p'.repeat(140)}/file`;
  await s.apply([{ name: long, data: 'pax' }, { name: gnu, data: 'gnu', gnuLongName: true }, { name: prefixed, data: 'prefix', usePrefix: true }]);
  assert.equal(await readFile(join(s.root, long), 'utf8'), 'pax');
  assert.equal(await readFile(join(s.root, gnu), 'utf8'), 'gnu');
  assert.equal(await readFile(join(s.root, prefixed), 'utf8'), 'prefix');
});

test('a PAX path with a NUL byte is refused', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'x', pax: { path: Buffer.from('ok\0../victim/pwned') }, data: 'x' }]), 'BAD_TAR', /NUL/);
  await s.assertVictimUntouched();
});

test('a path deeper than maxPathDepth is refused before anything is created (CVE-2024-28863)', async (t) => {
  const s = await hostileScene(t);
  const deep = `${Array.from({ length: 40 }, () => 'd').join('/')}/f`;
  await assertRefused(s.apply([{ name: deep, data: 'x' }], { limits: { maxPathDepth: 32 } }), 'BAD_TAR', /deeper than 32/);
  assert.deepEqual(await readdir(s.root), []);
});

test('a path longer than maxPathBytes is refused', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'n'.repeat(300), data: 'x' }], { limits: { maxPathBytes: 255 } }), 'BAD_TAR', /longer than 255/);
});

test('FOO and foo stay two files (no case folding, no name cache)', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: 'FOO', data: 'upper' }, { name: 'foo', data: 'lower' }, { name: 'ß', data: 'eszett' }, { name: 'ss', data: 'ss' }]);
  assert.equal(await readFile(join(s.root, 'FOO'), 'utf8'), 'upper');
  assert.equal(await readFile(join(s.root, 'foo'), 'utf8'), 'lower');
  assert.equal(await readFile(join(s.root, 'ß'), 'utf8'), 'eszett');
  assert.equal(await readFile(join(s.root, 'ss'), 'utf8'), 'ss');
});

test('a backslash is an ordinary character, not a separator', async (t) => {
  const s = await hostileScene(t);
  await s.apply([{ name: '..\\..\\victim\\pwned', data: 'x' }]);
  assert.deepEqual(await readdir(s.root), ['..\\..\\victim\\pwned']);
  await s.assertVictimUntouched();
});

test('the root entry ./ is ignored: it neither fails nor changes the root', async (t) => {
  const s = await hostileScene(t);
  const before = await lstat(s.root);
  const r = await s.apply([{ name: './', type: 'dir', mode: 0o777, uid: 4242 }, { name: '/', type: 'dir', mode: 0o777 }]);
  assert.equal(r.entries, 2);
  const after = await lstat(s.root);
  assert.equal(after.mode, before.mode);
  assert.equal(after.uid, before.uid);
});

test('a whiteout name used as a directory (.wh.x/y) is refused', async (t) => {
  const s = await hostileScene(t);
  await assertRefused(s.apply([{ name: 'a/.wh.x/y', data: 'x' }]), 'HOSTILE_ARCHIVE', /whiteout name is used as a directory/);
  assert.deepEqual(await readdir(s.root), []);
});
