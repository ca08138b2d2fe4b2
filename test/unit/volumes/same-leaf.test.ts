/**
 * sameLeaf (volumes/scanned-entry.ts): an I/O worker decides that a directory without
 * subdirectories is its parent snapshot's tree byte for byte, and the walk then keeps that tree
 * without building the directory's entries. It must say "same" exactly when the walk would have
 * produced the same tree: any change the walk would record (content, mode, mtime, ctime, an xattr,
 * a symlink's target, a name added or gone, a new hard link) is not the same, and a directory
 * with a subdirectory is never judged. When it is the same, its counts are the walk's.
 */
import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTree } from '../../../src/volumes/tree-io.js';
import { native } from '../../../src/platform/native.js';
import { scanDirSync } from '../../../src/volumes/scan-dir-sync.js';
import { sameLeaf } from '../../../src/volumes/scanned-entry.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { encodeTree } from '../../../src/core/volume-snapshot-format.js';
import { stores } from '../../helpers/volume-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

async function scene(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = volumes.dataPath('v');
  writeFileSync(join(data, 'a.txt'), 'alpha\n');
  writeFileSync(join(data, 'b.bin'), Buffer.alloc(70_000, 7));
  writeFileSync(join(data, 'empty'), '');
  symlinkSync('/etc/passwd', join(data, 'link'));
  const snap = await takeSnapshot(content, volumes, 'v');
  const tree = await loadTree(content, snap.record.tree.digest);
  const json = encodeTree(tree).toString('utf8');
  return { data, tree, json, judge: () => sameLeaf(scanDirSync(data, data), tree, json) };
}

test('an unchanged directory is the same, with the counts and chunks the walk would have', async (t) => {
  const s = await scene(t);
  const same = s.judge();
  assert.ok(same, 'nothing changed');
  assert.deepEqual([same.files, same.bytes, same.skipped, same.skippedXattrs], [3, 6 + 70_000, 0, 0]);
  const chunks = s.tree.entries.flatMap((e) => e.chunks ?? []);
  assert.ok(chunks.length >= 2);
  assert.deepEqual(same.children.map((d) => d.digest).sort(), chunks.map((c) => ('digest' in c ? c.digest : '')).sort());
});

const changes: Record<string, (data: string) => void> = {
  'content of the same size (ctime moves)': (d) => writeFileSync(join(d, 'a.txt'), 'ALPHA\n'),
  mode: (d) => chmodSync(join(d, 'empty'), 0o600),
  mtime: (d) => utimesSync(join(d, 'b.bin'), 1_000_000, 1_000_000),
  'a new name': (d) => writeFileSync(join(d, 'new'), 'x'),
  'a name gone': (d) => rmSync(join(d, 'empty')),
  'a symlink target': (d) => (unlinkSync(join(d, 'link')), symlinkSync('/etc/group', join(d, 'link'))),
  'an xattr': (d) => native.lsetxattr(join(d, 'empty'), 'user.k', Buffer.from('v')),
  'a second hard link (nlink, ctime)': (d) => linkSync(join(d, 'a.txt'), join(d, 'a2.txt')),
};

for (const [what, change] of Object.entries(changes)) {
  test(`not the same after a change the walk records: ${what}`, async (t) => {
    const s = await scene(t);
    assert.ok(s.judge(), 'the same before');
    change(s.data);
    assert.equal(s.judge(), undefined);
  });
}

test('a directory with a subdirectory is not judged the same, even unchanged: its trees are known only once walked', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = volumes.dataPath('v');
  mkdirSync(join(data, 'sub'));
  writeFileSync(join(data, 'f'), 'f\n');
  const snap = await takeSnapshot(content, volumes, 'v');
  const tree = await loadTree(content, snap.record.tree.digest);
  assert.equal(sameLeaf(scanDirSync(data, data), tree, encodeTree(tree).toString('utf8')), undefined);
});

test('a socket is skipped and counted; the directory is still the same', async (t) => {
  const s = await scene(t);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(s.data, 'sock'), resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  // The socket changed the directory's own mtime, not its tree: the tree holds only its entries.
  const same = s.judge();
  assert.ok(same);
  assert.equal(same.skipped, 1);
});
