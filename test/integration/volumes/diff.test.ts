/**
 * `volume diff`, like `restic diff`: added (+), removed (-), content changed (M), metadata only
 * (U) and type changed (T) paths between two snapshots, with totals; identical subtrees are skipped.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { diffTrees, emptyTotals, type DiffItem } from '../../../src/volumes/snapshot-diff.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { tempDir } from '../../helpers/tmp.js';
import { stores } from '../../helpers/volume-fixtures.js';

test('diff lists added, removed, modified, metadata-only and type-changed paths', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const d = volumes.dataPath('v');
  writeFileSync(join(d, 'same'), 'unchanged');
  writeFileSync(join(d, 'edit'), 'before');
  writeFileSync(join(d, 'gone'), 'bye');
  writeFileSync(join(d, 'mode'), 'x');
  writeFileSync(join(d, 'becomes-dir'), 'file first');
  mkdirSync(join(d, 'keep'));
  writeFileSync(join(d, 'keep', 'inside'), 'deep and unchanged');
  const a = await takeSnapshot(content, volumes, 'v');

  writeFileSync(join(d, 'edit'), 'after!');
  rmSync(join(d, 'gone'));
  chmodSync(join(d, 'mode'), 0o600);
  rmSync(join(d, 'becomes-dir'));
  mkdirSync(join(d, 'becomes-dir'));
  writeFileSync(join(d, 'becomes-dir', 'child'), 'new child');
  mkdirSync(join(d, 'new-dir'));
  writeFileSync(join(d, 'new-dir', 'f'), '12345');
  symlinkSync('same', join(d, 'new-link'));
  const b = await takeSnapshot(content, volumes, 'v');

  const totals = emptyTotals();
  const items: DiffItem[] = [];
  for await (const item of diffTrees(content, a.record.tree.digest, b.record.tree.digest, totals)) items.push(item);
  const shown = items.map((i) => `${i.change} ${i.path}`);
  assert.deepEqual(shown, ['T becomes-dir', '+ becomes-dir/child', 'M edit', '- gone', 'U mode', '+ new-dir', '+ new-dir/f', '+ new-link']);
  assert.deepEqual(totals.added, { files: 2, dirs: 1, others: 1, bytes: 14 });
  assert.deepEqual(totals.removed, { files: 1, dirs: 0, others: 0, bytes: 3 });
  assert.equal(totals.changed, 3);
  const none: DiffItem[] = [];
  for await (const item of diffTrees(content, b.record.tree.digest, b.record.tree.digest)) none.push(item);
  assert.deepEqual(none, []);
});
