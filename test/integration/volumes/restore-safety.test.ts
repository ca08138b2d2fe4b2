/**
 * Security and integrity regressions for `volume restore`, named for what they block:
 * a symlink planted in an existing volume never leads a restore outside it, a corrupted chunk fails
 * the restore with an integrity error and changes nothing, and a failed restore leaves the
 * existing volume exactly as it was.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, symlinkSync, readdirSync, existsSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { IntegrityError, ConflictError } from '../../../src/core/errors.js';
import { hexOf, type Digest } from '../../../src/core/digest.js';
import { isHole } from '../../../src/core/volume-snapshot-format.js';
import { restoreVolume } from '../../../src/volumes/restore-volume.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { walkSnapshot } from '../../../src/volumes/snapshot-walk.js';
import { diffRaw, rawTree } from '../../helpers/raw-tree.js';
import { tempDir } from '../../helpers/tmp.js';
import { chunkBytesAt, stores } from '../../helpers/volume-fixtures.js';

async function setup(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t);
  const outside = await tempDir(t, 'lb-victim-');
  const victim = join(outside, 'victim.txt');
  writeFileSync(victim, 'untouched\n');
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = volumes.dataPath('v');
  mkdirSync(join(data, 'data'));
  writeFileSync(join(data, 'data', 'victim.txt'), 'from the snapshot\n');
  writeFileSync(join(data, 'data', 'new.txt'), 'new file\n');
  const snap = await takeSnapshot(content, volumes, 'v');
  return { content, volumes, data, outside, victim, snap };
}

test('restore with --include never follows a symlink planted in the volume (data -> outside)', async (t) => {
  const { content, volumes, data, outside, victim, snap } = await setup(t);
  await import('node:fs/promises').then((fs) => fs.rm(join(data, 'data'), { recursive: true }));
  symlinkSync(outside, join(data, 'data')); // what a compromised container could plant
  await assert.rejects(restoreVolume(content, volumes, snap, { include: ['data/victim.txt'] }), ConflictError);
  assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
  await restoreVolume(content, volumes, snap, { include: ['data/victim.txt', 'data/new.txt'], overwrite: true });
  assert.equal(readFileSync(victim, 'utf8'), 'untouched\n', 'the file outside is untouched');
  assert.deepEqual(readdirSync(outside), ['victim.txt'], 'nothing was created outside');
  assert.equal(readFileSync(join(data, 'data', 'victim.txt'), 'utf8'), 'from the snapshot\n', 'the symlink was replaced by the snapshot\'s directory');
});

test('a full restore over a volume with a planted symlink (data -> /etc style) never writes outside it', async (t) => {
  const { content, volumes, data, outside, victim, snap } = await setup(t);
  await import('node:fs/promises').then((fs) => fs.rm(join(data, 'data'), { recursive: true }));
  symlinkSync(outside, join(data, 'data'));
  await restoreVolume(content, volumes, snap, { overwrite: true });
  assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
  assert.deepEqual(readdirSync(outside), ['victim.txt']);
  assert.equal(readFileSync(join(volumes.dataPath('v'), 'data', 'new.txt'), 'utf8'), 'new file\n');
});

test('a corrupted chunk fails the restore with an integrity error and changes nothing; the next snapshot stores it afresh', async (t) => {
  const { content, volumes, snap } = await setup(t);
  await volumes.create('target');
  writeFileSync(join(volumes.dataPath('target'), 'keep.txt'), 'existing data\n');
  const before = await rawTree(volumes.dataPath('target'));
  let digest: Digest | undefined;
  for await (const { entry } of walkSnapshot(content, snap.record.tree.digest)) {
    const c = entry.chunks?.find((x) => !isHole(x));
    if (c && !isHole(c) && entry.size === 'from the snapshot\n'.length) digest = c.digest;
  }
  assert.ok(digest);
  const at = await chunkBytesAt(content, digest);
  assert.equal(at.length, 'from the snapshot\n'.length, 'the chunk is stored as it is');
  const fd = openSync(at.file, 'r+');
  writeSync(fd, 'from the snapshoT\n', at.offset); // same size, one bit flipped
  closeSync(fd);
  await assert.rejects(restoreVolume(content, volumes, snap, { to: 'target', overwrite: true }), (err: unknown) => {
    assert.ok(err instanceof IntegrityError, String(err));
    assert.match((err as Error).message, /digest mismatch/);
    return true;
  });
  assert.deepEqual(diffRaw(before, await rawTree(volumes.dataPath('target'))), [], 'the existing volume is as it was');
  assert.deepEqual(readdirSync(join(volumes.dir, 'target')).sort(), ['_data', 'meta.json'], 'no staging directory is left behind');
  await assert.rejects(restoreVolume(content, volumes, snap, { to: 'fresh' }), IntegrityError);
  assert.equal(await volumes.exists('fresh'), false, 'a failed restore into a new volume creates no volume');
  assert.ok(existsSync(join(content.quarantineDir, `${hexOf(digest)}.packed`)), 'the bad chunk is quarantined');
  assert.equal(await content.info(digest), undefined, 'and no longer served');

  // The next snapshot of the unchanged volume would reuse the parent's chunk list; it must see
  // that the store lost one of them and read the volume again, so the data is stored afresh.
  const again = await takeSnapshot(content, volumes, 'v');
  assert.equal(again.record.stats.unchangedFiles, 0, 'the snapshot read every file again');
  await restoreVolume(content, volumes, again, { to: 'healed' });
  assert.equal(readFileSync(join(volumes.dataPath('healed'), 'data', 'victim.txt'), 'utf8'), 'from the snapshot\n');
});
