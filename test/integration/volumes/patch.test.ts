/**
 * A staged restore patched into a later snapshot (volumes/tree-restorer.ts `patch`, used by
 * restore-volume.ts `staged`: a migration's cut-over writes only what changed since the pre-copy
 * round it staged). The patched volume must equal the later snapshot exactly, by a tree walk,
 * while files that did not change keep their inode (they were not written again); a changed
 * hardlink falls back to a whole restore; and, a named security regression, a symlink in the
 * staged copy that becomes a file in the later snapshot is replaced, never followed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { LocalContentStore } from '../../../src/content/local-store.js';
import { digestOfHex } from '../../../src/core/digest.js';
import { silentProgress, type Progress } from '../../../src/core/progress.js';
import { native } from '../../../src/platform/native.js';
import type { SnapshotInfo } from '../../../src/volumes/snapshot-refs.js';
import { restoreVolume } from '../../../src/volumes/restore-volume.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { TreeRestorer } from '../../../src/volumes/tree-restorer.js';
import { WorkerPool } from '../../../src/volumes/worker-pool.js';
import { diffRaw, rawTree } from '../../helpers/raw-tree.js';
import { needs } from '../../helpers/requirements.js';
import { tempDir } from '../../helpers/tmp.js';
import { allKinds, buildTree, hasAcl, stores } from '../../helpers/volume-fixtures.js';

/** Restores `snap` into a fresh directory under `root`, as `receive stage` does. */
async function stage(content: LocalContentStore, root: string, snap: SnapshotInfo): Promise<string> {
  const dir = join(root, `staged-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, 0o700);
  const pool = new WorkerPool();
  try {
    await new TreeRestorer({ content, pool }).restore(dir, snap.record.tree.digest);
  } finally {
    await pool.close();
  }
  return dir;
}

async function scene(t: Parameters<typeof tempDir>[0]) {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = volumes.dataPath('v');
  await buildTree(data, allKinds({ root: true, acl: hasAcl(), big: randomBytes(3 << 20) }));
  for (let d = 0; d < 5; d++) {
    mkdirSync(join(data, 'many', `d${d}`), { recursive: true });
    for (let f = 0; f < 40; f++) writeFileSync(join(data, 'many', `d${d}`, `f${f}.txt`), `file ${d}/${f}\n`.repeat(20));
  }
  return { root, content, volumes, data };
}

test('a staged copy of snapshot A patched into snapshot B equals B; unchanged files are not rewritten', { skip: needs({ root: true }) }, async (t) => {
  const { root, content, volumes, data } = await scene(t);
  const a = await takeSnapshot(content, volumes, 'v');
  const staged = await stage(content, root, a);
  const untouched = lstatSync(join(staged, 'many', 'd3', 'f7.txt')).ino;

  writeFileSync(join(data, 'hello.txt'), 'HELLO WORLD\n'); // same size, other bytes
  const f7 = join(data, 'many', 'd3', 'f7.txt');
  chmodSync(f7, 0o600);
  chmodSync(f7, lstatSync(join(data, 'many', 'd3', 'f6.txt')).mode & 0o7777); // back: only its ctime moved
  chmodSync(join(data, 'setgid'), 0o750);
  utimesSync(join(data, 'empty'), 1_650_000_000, 1_650_000_000);
  native.lsetxattr(join(data, 'xattrs'), 'user.text', Buffer.from('changed'));
  writeFileSync(join(data, 'a', 'b', 'new.txt'), 'added\n');
  rmSync(join(data, 'dangling'));
  rmSync(join(data, 'rel-link'));
  mkdirSync(join(data, 'rel-link'));
  writeFileSync(join(data, 'rel-link', 'inside.txt'), 'a symlink became a directory\n');
  rmSync(join(data, 'sticky'), { recursive: true });
  writeFileSync(join(data, 'sticky'), 'a directory became a file\n');
  rmSync(join(data, 'many', 'd1'), { recursive: true });
  appendFileSync(join(data, 'many', 'd4', 'f0.txt'), 'one more line\n');
  const big = readFileSync(join(data, 'big.bin'));
  randomBytes(4096).copy(big, 1 << 20);
  writeFileSync(join(data, 'big.bin'), big);
  const b = await takeSnapshot(content, volumes, 'v');
  const expected = await rawTree(data);

  const r = await restoreVolume(content, volumes, b, { to: 'patched', staged: { dir: staged, base: a.id } });
  assert.equal(r.created, true);
  assert.deepEqual(diffRaw(expected, await rawTree(volumes.dataPath('patched')), { checkBlocks: true }), []);
  assert.equal(existsSync(staged), false, 'the staged directory became the volume');
  assert.equal(lstatSync(join(volumes.dataPath('patched'), 'many', 'd3', 'f7.txt')).ino, untouched, 'a file whose only change is its ctime was kept, not written again');
  assert.ok(r.files < 20, `only the changed files were written (${r.files})`);
});

test('a changed hardlink cannot be patched: the stage is dropped and the volume restored whole', { skip: needs({ root: true }) }, async (t) => {
  const { root, content, volumes, data } = await scene(t);
  const a = await takeSnapshot(content, volumes, 'v');
  const staged = await stage(content, root, a);
  appendFileSync(join(data, 'a', 'hard1'), ' and more'); // all three names change
  const b = await takeSnapshot(content, volumes, 'v');
  const expected = await rawTree(data);

  const r = await restoreVolume(content, volumes, b, { to: 'whole', staged: { dir: staged, base: a.id } });
  const actual = await rawTree(volumes.dataPath('whole'));
  assert.deepEqual(diffRaw(expected, actual, { checkBlocks: true }), []);
  assert.deepEqual(actual.linkGroups, expected.linkGroups, 'the three names are one inode again');
  assert.equal(existsSync(staged), false, 'the unusable stage was removed');
  assert.ok(r.files > 200, `every file was written (${r.files})`);
});

test('a patch that fails after files went to the workers (a hardlink deep in the tree) waits for them, then restores whole', { skip: needs({ root: true }) }, async (t) => {
  const { root, content, volumes, data } = await scene(t);
  mkdirSync(join(data, 'zz'));
  writeFileSync(join(data, 'zz', 'one'), 'linked\n');
  linkSync(join(data, 'zz', 'one'), join(data, 'zz', 'two'));
  const a = await takeSnapshot(content, volumes, 'v');
  const staged = await stage(content, root, a);
  // Hundreds of changed files are handed to the workers before the walk reaches zz/ (sorted last).
  for (let d = 0; d < 5; d++) for (let f = 0; f < 40; f++) appendFileSync(join(data, 'many', `d${d}`, `f${f}.txt`), 'changed\n');
  appendFileSync(join(data, 'zz', 'one'), 'and changed\n');
  const b = await takeSnapshot(content, volumes, 'v');
  const expected = await rawTree(data);

  // the progress bar: what the failed patch wrote stays counted, the total grows by the whole restore
  const bar = { total: [] as number[], done: 0, ended: false };
  const progress: Progress = { ...silentProgress, task: (_label, total) => (bar.total.push(total ?? 0), { total: (n) => void bar.total.push(n), advance: (n) => void (bar.done += n), done: () => void (bar.ended = true) }) };
  const r = await restoreVolume(content, volumes, b, { to: 'whole', staged: { dir: staged, base: a.id }, progress });
  const actual = await rawTree(volumes.dataPath('whole'));
  assert.deepEqual(diffRaw(expected, actual, { checkBlocks: true }), []);
  assert.equal(existsSync(staged), false, 'the stage was removed once the workers were done with it');
  assert.equal(bar.total.length, 2, 'the total moved once, when the patch failed');
  assert.ok(bar.total[1]! > bar.total[0]!, `the patch had written something (${bar.total.join(' -> ')})`);
  const patchWrote = bar.total[1]! - bar.total[0]!;
  assert.ok(bar.done > patchWrote && bar.done <= bar.total[1]!, `the whole restore added to the bar, which never runs past its total (${bar.done} of ${bar.total[1]}; the patch wrote ${patchWrote})`);
  assert.ok(bar.ended);
  const files = [...expected.nodes.values()].filter((n) => n.type === 'file').length;
  assert.ok(r.files > 200 && r.files <= files, `the counts are the whole restore's, not the failed patch's added (${r.files} of ${files} files)`);
});

test('a stage that does not hold what it claims (its base is not in the store) is dropped and the volume restored whole', { skip: needs({ root: true }) }, async (t) => {
  const { root, content, volumes, data } = await scene(t);
  const a = await takeSnapshot(content, volumes, 'v');
  const staged = await stage(content, root, a);
  writeFileSync(join(data, 'hello.txt'), 'HELLO WORLD\n');
  const b = await takeSnapshot(content, volumes, 'v');
  const r = await restoreVolume(content, volumes, b, { to: 'whole', staged: { dir: staged, base: digestOfHex('0'.repeat(64)) } });
  assert.deepEqual(diffRaw(await rawTree(data), await rawTree(volumes.dataPath('whole'))), []);
  assert.equal(existsSync(staged), false);
  assert.ok(r.files > 200, `every file was written (${r.files})`);
});

test('security: a staged symlink that became a file is replaced, never followed out of the volume', { skip: needs({ root: true }) }, async (t) => {
  const { root, content, volumes, data } = await scene(t);
  const outside = await tempDir(t, 'lb-victim-');
  const victim = join(outside, 'victim.txt');
  writeFileSync(victim, 'untouched\n');
  symlinkSync(victim, join(data, 'escape'));
  mkdirSync(join(data, 'escape-dir'));
  const a = await takeSnapshot(content, volumes, 'v');
  const staged = await stage(content, root, a);
  rmSync(join(data, 'escape'));
  writeFileSync(join(data, 'escape'), 'written through the link?\n');
  rmSync(join(data, 'escape-dir'), { recursive: true });
  symlinkSync(outside, join(data, 'escape-dir')); // a directory that became a link to the outside
  const b = await takeSnapshot(content, volumes, 'v');

  await restoreVolume(content, volumes, b, { to: 'patched', staged: { dir: staged, base: a.id } });
  assert.equal(readFileSync(victim, 'utf8'), 'untouched\n');
  assert.equal(readFileSync(join(volumes.dataPath('patched'), 'escape'), 'utf8'), 'written through the link?\n');
  assert.ok(lstatSync(join(volumes.dataPath('patched'), 'escape-dir')).isSymbolicLink());
  assert.ok(existsSync(victim), 'the outside directory was not emptied');
});
