/**
 * What makes snapshots cheap to take often: an unchanged file is not read again (size, mtime,
 * ctime and inode match the parent), a 1% change in a big file reads only that file and stores
 * about 1% new data (content-defined chunks), and identical data in two volumes is stored once.
 * Asserted on the snapshot's own counters (bytes read, bytes added), never on time.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSync, writeSync, closeSync, writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { tempDir } from '../../helpers/tmp.js';
import { stores } from '../../helpers/volume-fixtures.js';

const MiB = 1024 * 1024;

function fill(dir: string): void {
  writeFileSync(join(dir, 'big.bin'), randomBytes(64 * MiB));
  mkdirSync(join(dir, 'small'));
  for (let i = 0; i < 200; i++) writeFileSync(join(dir, 'small', `f${i}`), randomBytes(4096 + i));
}

test('a second snapshot after a 1% change reads and stores about that much', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = volumes.dataPath('v');
  fill(data);
  const first = await takeSnapshot(content, volumes, 'v');
  const total = first.record.stats.bytes;
  assert.equal(first.record.stats.readBytes, total);
  assert.ok(first.record.stats.addedBytes >= total, 'random data is stored whole (plus trees)');

  // Unchanged: nothing is read, only the trees that changed (none) are stored.
  const same = await takeSnapshot(content, volumes, 'v');
  assert.equal(same.record.stats.readBytes, 0);
  assert.equal(same.record.stats.unchangedFiles, 201);
  assert.equal(same.record.stats.addedBytes, 0);
  assert.equal(same.record.parent, first.id);
  assert.equal(same.record.tree.digest, first.record.tree.digest, 'same content, same root tree');

  // 1% of the big file (640 KiB in the middle) rewritten in place.
  const fd = openSync(join(data, 'big.bin'), 'r+');
  writeSync(fd, randomBytes(640 * 1024), 0, 640 * 1024, 30 * MiB);
  closeSync(fd);
  const second = await takeSnapshot(content, volumes, 'v');
  const s = second.record.stats;
  assert.equal(s.readBytes, 64 * MiB, 'only the changed file is read');
  assert.equal(s.unchangedFiles, 200);
  assert.ok(s.addedBytes < 0.15 * 64 * MiB, `a 1% change stored ${s.addedBytes} bytes (${((s.addedBytes / total) * 100).toFixed(1)}%)`);
  assert.ok(s.addedBytes >= 640 * 1024, 'the changed bytes themselves are stored');
});

test('identical data in two volumes is stored once', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('one');
  await volumes.create('two');
  fill(volumes.dataPath('one'));
  cpSync(volumes.dataPath('one'), volumes.dataPath('two'), { recursive: true });
  const a = await takeSnapshot(content, volumes, 'one');
  const b = await takeSnapshot(content, volumes, 'two');
  assert.equal(b.record.stats.readBytes, a.record.stats.bytes, 'the second volume is read (it has no parent)');
  assert.equal(b.record.stats.newBlobs, 2, 'and adds no chunk: only its two trees (they record other inodes and ctimes)');
  assert.ok(b.record.stats.addedBytes < 100_000, `added ${b.record.stats.addedBytes} bytes`);
});

test('compressible data is stored compressed, and holes are not stored at all', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = volumes.dataPath('v');
  writeFileSync(join(data, 'text'), 'the same line of text again and again\n'.repeat(200_000));
  const fd = openSync(join(data, 'sparse'), 'w');
  writeSync(fd, Buffer.from('end'), 0, 3, 100 * MiB);
  closeSync(fd);
  const snap = await takeSnapshot(content, volumes, 'v');
  assert.ok(snap.record.stats.addedBytes < 1 * MiB, `stored ${snap.record.stats.addedBytes} bytes for ~108 MB of text and holes`);
});
