/**
 * Snapshot → restore on real directories keeps every file kind bit for bit, checked by walking
 * both trees (raw-tree.ts), not by trusting the snapshot: content, holes, hardlinks, symlinks,
 * FIFOs, devices, owners, modes with setuid/setgid/sticky, ns mtimes (to Node's utimes precision),
 * xattrs with binary values, ACLs, names that are not UTF-8, and the volume root's own metadata.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, lstatSync } from 'node:fs';
import { test } from 'node:test';
import { native } from '../../../src/platform/native.js';
import { restoreVolume } from '../../../src/volumes/restore-volume.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { diffRaw, rawTree } from '../../helpers/raw-tree.js';
import { needs } from '../../helpers/requirements.js';
import { tempDir } from '../../helpers/tmp.js';
import { allKinds, buildTree, hasAcl, stores } from '../../helpers/volume-fixtures.js';

test('every file kind round-trips bit for bit through snapshot and restore', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('src', { labels: { app: 'db' } });
  const data = volumes.dataPath('src');
  // Three chunks' worth of random data with a zero stretch in the middle.
  const big = Buffer.concat([randomBytes(5 << 20), Buffer.alloc(6 << 20), randomBytes(3 << 20)]);
  await buildTree(data, allKinds({ root: true, acl: hasAcl(), big }));
  chownSync(data, 999, 998);
  chmodSync(data, 0o2771);
  native.lsetxattr(data, 'user.volume-root', Buffer.from('root meta'));
  const before = await rawTree(data);

  const snap = await takeSnapshot(content, volumes, 'src', { tags: ['t'] });
  assert.equal(snap.record.stats.skipped, 0);
  assert.equal(snap.record.stats.skippedXattrs, 2, 'the two non-UTF-8 non-directory names have no string path for xattrs');
  const r = await restoreVolume(content, volumes, snap, { to: 'copy' });
  assert.equal(r.created, true);
  assert.deepEqual(r.skipped, { devices: 0, xattrs: 0 });

  const after = await rawTree(volumes.dataPath('copy'));
  assert.deepEqual(diffRaw(before, after, { checkBlocks: true }), []);
  const [a, b] = [lstatSync(data), lstatSync(volumes.dataPath('copy'))];
  assert.deepEqual([b.mode, b.uid, b.gid], [a.mode, a.uid, a.gid], 'the volume root keeps owner and mode');
  assert.equal(native.lgetxattr(volumes.dataPath('copy'), 'user.volume-root')?.toString(), 'root meta');
  assert.deepEqual((await volumes.get('copy')).labels, { app: 'db' }, 'a new volume gets the snapshot\'s labels');
  assert.ok(after.nodes.get('holes-only')!.blocks === 0, 'an all-hole file allocates nothing');
});

test('a restore over an existing volume with --overwrite replaces its contents exactly', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  await buildTree(volumes.dataPath('v'), allKinds({ root: false }));
  const before = await rawTree(volumes.dataPath('v'));
  const snap = await takeSnapshot(content, volumes, 'v');
  await buildTree(volumes.dataPath('v'), [
    { path: ['junk'], type: 'file', data: 'added later' },
    { path: ['a', 'more'], type: 'dir' },
  ]);
  await assert.rejects(restoreVolume(content, volumes, snap, {}), /not empty/);
  await restoreVolume(content, volumes, snap, { overwrite: true });
  assert.deepEqual(diffRaw(before, await rawTree(volumes.dataPath('v'))), []);
});

test('--include restores only the named paths, with their parent directories', { skip: needs({ root: true }) }, async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  await buildTree(volumes.dataPath('v'), allKinds({ root: false }));
  const full = await rawTree(volumes.dataPath('v'));
  const snap = await takeSnapshot(content, volumes, 'v');
  await restoreVolume(content, volumes, snap, { to: 'part', include: ['a/b', '/hello.txt'] });
  const part = await rawTree(volumes.dataPath('part'));
  assert.deepEqual([...part.nodes.keys()].sort(), ['a', 'a/b', 'a/b/deep.txt', 'a/b/hard3', 'hello.txt']);
  for (const [k, v] of part.nodes) if (k !== 'a') assert.deepEqual({ ...v, mtimeNs: 0n, blocks: 0 }, { ...full.nodes.get(k)!, mtimeNs: 0n, blocks: 0 }, k);
  await assert.rejects(restoreVolume(content, volumes, snap, { to: 'x', include: ['no/such/path'] }), /no such path in snapshot/);
});
