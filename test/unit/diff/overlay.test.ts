/**
 * A real overlayfs round: mount lower + fresh upper, make changes through the mount (delete a lower
 * file, rm -rf and recreate a lower directory, modify and add files), capture the merged view, unmount,
 * then diff the upper dir. Base layer + diff layer must reproduce the merged view, applied flat into
 * one directory, and also applied in overlay mode into two directories stacked as overlay lowers.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, chmod, lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { LocalContentStore } from '../../../src/content/local-store.js';
import { unpackLayer } from '../../../src/diff/unpack.js';
import { diffEntries, writeLayer } from '../../../src/diff/walk.js';
import { native } from '../../../src/platform/native.js';
import { needs } from '../../helpers/requirements.js';
import { diffTrees, snapshotTree } from '../../helpers/tree-compare.js';

/** A scratch dir whose overlay mounts are always unmounted before it is removed. */
async function overlayScratch(t: TestContext) {
  const base = await mkdtemp(join(process.env.LIFEBOAT_TEST_TMP ?? tmpdir(), 'lb-overlay-'));
  const mounted: string[] = [];
  t.after(async () => {
    for (const m of mounted.reverse()) spawnSync('umount', [m]);
    await rm(base, { recursive: true, force: true });
  });
  const mount = (options: string, at: string) => {
    const r = spawnSync('mount', ['-t', 'overlay', 'overlay', '-o', options, at], { encoding: 'utf8' });
    assert.equal(r.status, 0, `mount failed: ${r.stderr}`);
    mounted.push(at);
  };
  const umount = (at: string) => {
    const r = spawnSync('umount', [at], { encoding: 'utf8' });
    assert.equal(r.status, 0, `umount failed: ${r.stderr}`);
    mounted.splice(mounted.indexOf(at), 1);
  };
  return { base, mount, umount };
}

async function buildLower(lower: string): Promise<void> {
  for (const d of ['etc', 'var/lib/app/c', 'usr/bin', 'usr/share/doc']) await mkdir(join(lower, d), { recursive: true });
  const files: Record<string, string> = {
    'etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
    'etc/gone.conf': 'delete me',
    'var/lib/app/a': 'a',
    'var/lib/app/b': 'b',
    'var/lib/app/c/d': 'd',
    'usr/bin/tool': '#!/bin/sh\necho v1\n',
    'usr/share/doc/readme': 'docs',
    'keep.txt': 'keep',
  };
  for (const [f, data] of Object.entries(files)) await writeFile(join(lower, f), data);
  await symlink('/usr/bin/tool', join(lower, 'usr/bin/alias'));
}

test('overlay upper → diff layer: base + diff reproduces the merged view (flat and as stacked lowers)', { skip: needs({ root: true, commands: ['mount', 'umount'] }) }, async (t) => {
  const { base, mount, umount } = await overlayScratch(t);
  const [lower, upper, work, merged] = ['lower', 'upper', 'work', 'merged'].map((d) => join(base, d)) as [string, string, string, string];
  for (const d of [lower, upper, work, merged]) await mkdir(d);
  await buildLower(lower);

  mount(`lowerdir=${lower},upperdir=${upper},workdir=${work},redirect_dir=off,metacopy=off,index=off`, merged);
  await rm(join(merged, 'etc/gone.conf')); // → whiteout
  await rm(join(merged, 'var/lib/app'), { recursive: true }); // rm -rf + recreate → opaque dir
  await mkdir(join(merged, 'var/lib/app'));
  await writeFile(join(merged, 'var/lib/app/fresh'), 'new app state');
  await appendFile(join(merged, 'usr/bin/tool'), 'echo v2\n'); // copy-up
  await chmod(join(merged, 'keep.txt'), 0o600); // metadata-only copy-up
  await mkdir(join(merged, 'opt/new'), { recursive: true });
  await writeFile(join(merged, 'opt/new/file'), 'added');
  await writeFile(join(merged, 'tmp-file'), 'short-lived');
  await rm(join(merged, 'tmp-file')); // never in lower: no whiteout should be stored
  native.lsetxattr(join(merged, 'opt/new/file'), 'user.tag', Buffer.from([0, 1, 2]));
  const expected = await snapshotTree(merged);
  umount(merged);

  const upperPaths: string[] = [];
  const lowerHas = async (p: string) => (await lstat(join(lower, p)).then(() => true, () => false));
  for await (const e of diffEntries(upper, { source: 'overlay-upper', lowerHas })) upperPaths.push(e.header.path);
  assert.ok(upperPaths.includes('etc/.wh.gone.conf'), `whiteout stored: ${upperPaths.join(', ')}`);
  assert.ok(upperPaths.includes('var/lib/app/.wh..wh..opq'), 'opaque marker stored');
  assert.ok(!upperPaths.some((p) => p.includes('tmp-file')), 'nothing stored for a file that never reached a lower layer');
  assert.ok(!upperPaths.includes('usr/share/doc/readme'), 'untouched lower files are not in the diff');

  const store = await LocalContentStore.open(join(base, 'store'));
  const baseLayer = await writeLayer(lower, { source: 'plain', compression: 'gzip' }, store);
  const diffLayer = await writeLayer(upper, { source: 'overlay-upper', compression: 'zstd', lowerHas }, store);

  const flat = join(base, 'flat');
  await mkdir(flat);
  for (const l of [baseLayer, diffLayer]) await unpackLayer(flat, await store.reader(l.digest), { whiteouts: 'flatten', diffId: l.diffId });
  assert.deepEqual(diffTrees(expected, await snapshotTree(flat)), [], 'flattened base + diff equals the merged view');

  const [l1, l2, stacked] = ['l1', 'l2', 'stacked'].map((d) => join(base, d)) as [string, string, string];
  for (const d of [l1, l2, stacked]) await mkdir(d);
  await unpackLayer(l1, await store.reader(baseLayer.digest), { whiteouts: 'overlay' });
  await unpackLayer(l2, await store.reader(diffLayer.digest), { whiteouts: 'overlay' });
  assert.ok((await lstat(join(l2, 'etc/gone.conf'))).isCharacterDevice(), 'overlay mode wrote a whiteout device');
  mount(`lowerdir=${l2}:${l1}`, stacked);
  assert.deepEqual(diffTrees(expected, await snapshotTree(stacked)), [], 'the layer dirs stacked as overlay lowers equal the merged view');
  umount(stacked);
});
