/**
 * The store's packs for volume snapshot chunks (content/local-packs.ts), on a real filesystem: a
 * snapshot of many small files writes a few packs instead of a file per chunk; GC rewrites a pack
 * with dead chunks and removes one with nothing live, and what stays live still restores; a pack
 * whose trailer is damaged is reported by `system check` and set aside by --repair; a store opened
 * before another one wrote packs finds them; a GC that fails half-way leaves an index the next
 * GC can trust.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, writeSync, closeSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { type Digest } from '../../../src/core/digest.js';
import { sha256 } from '../../../src/core/hashing.js';
import { DigestMismatchError } from '../../../src/core/errors.js';
import { PackFileWriter } from '../../../src/content/local-packs.js';
import { isHole } from '../../../src/core/volume-snapshot-format.js';
import { LocalContentStore } from '../../../src/content/local-store.js';
import { collectGarbage } from '../../../src/ops/gc.js';
import { checkStore } from '../../../src/ops/system-check.js';
import { forgetSnapshots } from '../../../src/ops/volume-forget.js';
import { pullFromRepository, pushToRepository } from '../../../src/ops/repo-copy.js';
import { MediaType } from '../../../src/core/media-types.js';
import { restoreVolume } from '../../../src/volumes/restore-volume.js';
import { walkSnapshot } from '../../../src/volumes/snapshot-walk.js';
import { takeSnapshot } from '../../../src/volumes/take-snapshot.js';
import { diffRaw, rawTree } from '../../helpers/raw-tree.js';
import { tempDir } from '../../helpers/tmp.js';
import { hasCommand } from '../../helpers/requirements.js';
import { chunkBytesAt, stores } from '../../helpers/volume-fixtures.js';
import { localRepo } from '../../helpers/repo-fixtures.js';

function fill(dir: string, prefix: string, files: number, size: number): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(dir, `${prefix}${i}`), randomBytes(size));
}

async function chunksOf(content: LocalContentStore, tree: Digest): Promise<Map<string, Digest>> {
  const out = new Map<string, Digest>();
  for await (const { components, entry } of walkSnapshot(content, tree)) {
    const c = entry.chunks?.find((x) => !isHole(x));
    if (c && !isHole(c)) out.set(components.map((b) => b.toString()).join('/'), c.digest);
  }
  return out;
}

test('a snapshot of 2,000 small files writes one pack, not a file per chunk, and restores bit for bit', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  fill(join(volumes.dataPath('v'), 'a'), 'f', 2000, 1024);
  const snap = await takeSnapshot(content, volumes, 'v');
  const packs = readdirSync(content.packs.dir);
  assert.equal(packs.length, 1, `2 MB of chunks fit one pack (${packs.length})`);
  const blobFiles = readdirSync(content.blobsDir).length;
  assert.ok(blobFiles <= 4, `only trees and the record are blob files (${blobFiles})`);
  assert.equal(snap.record.stats.newBlobs, 2000 + blobFiles - 1, 'every chunk and tree counts as added');
  await restoreVolume(content, volumes, snap, { to: 'back' });
  assert.deepEqual(diffRaw(await rawTree(volumes.dataPath('v')), await rawTree(volumes.dataPath('back'))), []);
  assert.deepEqual((await checkStore(content)).problems, []);
});

test('GC rewrites a pack with dead chunks, removes one with nothing live, and what is live still restores', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = volumes.dataPath('v');
  fill(join(data, 'keep'), 'k', 50, 4096);
  fill(join(data, 'drop'), 'd', 50, 4096);
  const first = await takeSnapshot(content, volumes, 'v');
  const [firstPack] = readdirSync(content.packs.dir);
  rmSync(join(data, 'drop'), { recursive: true });
  fill(join(data, 'new'), 'n', 50, 4096);
  const second = await takeSnapshot(content, volumes, 'v');
  assert.equal(readdirSync(content.packs.dir).length, 2, 'the second snapshot packed only its new chunks');
  const dropped = [...(await chunksOf(content, first.record.tree.digest))].filter(([p]) => p.startsWith('drop/')).map(([, d]) => d);
  assert.equal(dropped.length, 50);

  await forgetSnapshots(content, { volume: 'v', ids: [first.id] });
  const gc = await collectGarbage(content);
  const after = readdirSync(content.packs.dir);
  assert.equal(after.length, 2);
  assert.ok(!after.includes(firstPack!), 'the pack with dead chunks was rewritten under a new name');
  for (const d of dropped) assert.equal(await content.info(d), undefined, 'a dead chunk is gone');
  assert.ok(gc.reclaimedBytes >= 50 * 4096, `reclaimed ${gc.reclaimedBytes} bytes`);
  assert.deepEqual((await checkStore(content)).problems, [], 'nothing the live snapshot needs went');
  await restoreVolume(content, volumes, second, { to: 'back' });
  assert.deepEqual(diffRaw(await rawTree(data), await rawTree(volumes.dataPath('back'))), []);

  // Forgetting the last snapshot leaves nothing live: its packs go too.
  await forgetSnapshots(content, { volume: 'v', ids: [second.id] });
  await collectGarbage(content);
  assert.deepEqual(readdirSync(content.packs.dir), [], 'packs with nothing live are removed');
});

test('a pack with a damaged trailer: system check reports it, --repair sets it aside, and the next snapshot stores the chunks again', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  fill(join(volumes.dataPath('v'), 'a'), 'f', 20, 2048);
  await takeSnapshot(content, volumes, 'v');
  const [pack] = readdirSync(content.packs.dir);
  const file = join(content.packs.dir, pack!);
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from('XXXXXXXX'), 0, 8, statSync(file).size - 8); // the magic
  closeSync(fd);

  const fresh = await LocalContentStore.open(root);
  const check = await checkStore(fresh);
  assert.ok(check.problems.some((p) => p.kind === 'corrupt-pack' && p.pack === pack && /magic/.test(p.detail)), JSON.stringify(check.problems));
  assert.ok(check.problems.some((p) => p.kind === 'missing'), 'the snapshot is reported as missing its chunks');
  await checkStore(fresh, { repair: true });
  assert.ok(existsSync(join(fresh.quarantineDir, `${pack}.pack`)), 'the pack is kept in quarantine as evidence');

  const again = await takeSnapshot(fresh, volumes, 'v');
  assert.equal(again.record.stats.unchangedFiles, 0, 'the chunks the parent named were read and stored again');
  assert.deepEqual((await checkStore(fresh)).problems.filter((p) => p.kind !== 'missing'), []);
  await restoreVolume(fresh, volumes, again, { to: 'back' });
  assert.deepEqual(diffRaw(await rawTree(volumes.dataPath('v')), await rawTree(volumes.dataPath('back'))), []);
});

test('a store opened before another one wrote packs finds them, even when packs/ shows the same mtime (one clock tick)', async (t) => {
  const root = await tempDir(t);
  const { content: early, volumes } = await stores(root);
  // The tick packs/ was listed in, as a kernel with a coarse clock stamps it: whole seconds (exact
  // to set and compare), and not yet past, so the listing is as fresh as one taken in that tick.
  const tick = Math.ceil(Date.now() / 1000) + 5;
  utimesSync(early.packs.dir, tick, tick);
  await early.packs.ready(); // index loaded while packs/ is empty
  const late = await LocalContentStore.open(root);
  await volumes.create('v');
  fill(volumes.dataPath('v'), 'f', 3, 1000);
  const snap = await takeSnapshot(late, volumes, 'v');
  // The pack was named in that same tick: the mtime does not move. Only the "racy" rule (list
  // again after a listing taken that close to the mtime) finds it.
  utimesSync(early.packs.dir, tick, tick);
  for (const d of (await chunksOf(late, snap.record.tree.digest)).values()) {
    const at = await chunkBytesAt(early, d);
    assert.ok(at.file.startsWith(early.packs.dir), 'found in a pack');
    assert.equal((await early.info(d))?.size, 1000);
  }
});

test('system check finds a flipped byte inside a pack; --repair quarantines that chunk (other processes see it); the next GC drops the bad copy and its marker', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  fill(volumes.dataPath('v'), 'f', 10, 5000);
  const snap = await takeSnapshot(content, volumes, 'v');
  const [victim, ...others] = [...(await chunksOf(content, snap.record.tree.digest)).values()];
  const at = await chunkBytesAt(content, victim!);
  const fd = openSync(at.file, 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, at.offset + 100);
  writeSync(fd, Buffer.from([byte[0]! ^ 1]), 0, 1, at.offset + 100);
  closeSync(fd);

  const other = await LocalContentStore.open(root);
  await other.packs.ready(); // a second process with its index already loaded
  const check = await checkStore(content);
  assert.deepEqual(check.problems.map((p) => [p.kind, p.digest]), [['corrupt', victim]]);
  await checkStore(content, { repair: true });
  assert.ok(existsSync(join(content.quarantineDir, `${victim!.slice(7)}.packed`)), 'the marker names the bad chunk');
  assert.equal(await other.info(victim!), undefined, 'the other process no longer serves the bad copy');
  assert.ok(await other.info(others[0]!), 'but still the good ones');

  // The next snapshot stores the quarantined chunk afresh; GC then rewrites the old pack without
  // its bad copy (nothing serves it) and drops the marker. The other process, whose index was
  // loaded before, finds the good chunks in the rewritten pack.
  await forgetSnapshots(content, { volume: 'v', ids: [snap.id] });
  const again = await takeSnapshot(content, volumes, 'v');
  await collectGarbage(content);
  assert.ok(!readdirSync(content.packs.dir).includes(basename(at.file)), 'the pack holding the bad copy was rewritten');
  assert.ok(!existsSync(join(content.quarantineDir, `${victim!.slice(7)}.packed`)), 'its marker went with it');
  for (const d of [victim!, ...others]) assert.ok(await other.readBytes(d));
  await restoreVolume(content, volumes, again, { to: 'back' });
  assert.deepEqual(diffRaw(await rawTree(volumes.dataPath('v')), await rawTree(volumes.dataPath('back'))), []);
});

test('security: a GC that fails half-way leaves an index the next GC can trust (no live blob is deleted)', async (t) => {
  if (!hasCommand('chattr') || process.getuid?.() !== 0) return t.skip('needs root and chattr (e2fsprogs) to make a pack impossible to remove');
  const root = await tempDir(t);
  const { content } = await stores(root);
  const blobs = (n: number) => Array.from({ length: n }, () => randomBytes(3000));
  // Two packs of {live, dead now, dead later}; GC visits them in directory order.
  const [p, q] = [blobs(3), blobs(3)];
  for (const set of [p, q]) {
    const w = new PackFileWriter(content.ingestDir);
    for (const b of set!) w.append(sha256(b), b);
    const sealed = w.seal()!;
    renameSync(sealed.tmp, content.packs.packPath(sealed.name));
  }
  const secondVisited = content.packs.packPath(readdirSync(content.packs.dir)[1]!);
  execFileSync('chattr', ['+i', secondVisited]);
  try {
    // The first pack is rewritten without its dead blob; removing the second one then fails (EPERM).
    await assert.rejects(content.deleteMany([sha256(p![1]!), sha256(q![1]!)]), /EPERM|not permitted/);
  } finally {
    execFileSync('chattr', ['-i', secondVisited]);
  }
  // The same store (as the scheduler keeps it) runs GC again: the rewritten pack has a dead blob.
  await content.deleteMany([sha256(p![2]!), sha256(q![2]!)]);
  for (const set of [p, q]) {
    assert.deepEqual(await content.readBytes(sha256(set![0]!)), set![0], 'the live blob survived both GCs');
    assert.equal(await content.info(sha256(set![2]!)), undefined, 'the dead one is gone');
  }
  const fresh = await LocalContentStore.open(root);
  for (const set of [p, q]) assert.deepEqual(await fresh.readBytes(sha256(set![0]!)), set![0], 'as a process reading the packs afresh sees too');
});

test('a chunk stored as a blob file before packs, since cut short: the next snapshot packs it again, quarantines the bad file, and restores bit for bit', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = randomBytes(20_000); // one chunk, stored raw (random bytes do not compress)
  writeFileSync(join(volumes.dataPath('v'), 'f.bin'), data);
  const digest = (await content.put(data)).digest; // as a store from before packs kept it
  const file = content.blobPath(digest);
  writeFileSync(file, data.subarray(0, data.length - 100)); // damaged since: the wrong size

  const snap = await takeSnapshot(content, volumes, 'v');
  assert.ok(content.packs.get(digest), 'the chunk went into a pack');
  assert.equal(existsSync(file), false, 'the short file is out of the way');
  assert.ok(existsSync(join(content.quarantineDir, digest.slice('sha256:'.length))), 'and kept in quarantine');
  await restoreVolume(content, volumes, snap, { to: 'back' });
  assert.deepEqual(diffRaw(await rawTree(volumes.dataPath('v')), await rawTree(volumes.dataPath('back'))), []);
});

test('a damaged blob file beside a packed copy of the same chunk does not hide it: reads and pushes set the file aside and use the pack', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = randomBytes(20_000); // one raw chunk
  writeFileSync(join(volumes.dataPath('v'), 'f.bin'), data);
  const snap = await takeSnapshot(content, volumes, 'v');
  const digest = (await chunksOf(content, snap.record.tree.digest)).get('f.bin')!;
  assert.ok(content.packs.get(digest), 'the chunk is packed');
  const file = content.blobPath(digest);
  const damaged = Buffer.from(data);
  damaged[5_000]! ^= 0xff; // the right size, so nothing but a hash tells it apart
  const plant = () => writeFileSync(file, damaged); // as a store from before packs, damaged since, would hold it
  const quarantined = join(content.quarantineDir, digest.slice('sha256:'.length));

  plant();
  assert.deepEqual(await content.readBytes(digest), data, 'the packed copy is read');
  assert.equal(existsSync(file), false, 'the damaged file is out of the way');
  assert.deepEqual(readFileSync(quarantined), damaged, 'and kept as evidence');

  // a push to a repository reads small blobs the same way: it sends the good bytes
  rmSync(quarantined);
  plant();
  const { repo } = await localRepo(t);
  await repo.lock('shared');
  const rootDesc = { mediaType: MediaType.LifeboatVolumeSnapshot, digest: snap.id, size: (await content.info(snap.id))!.size };
  await pushToRepository(content, repo, [rootDesc]);
  assert.equal(existsSync(file), false);
  const other = await LocalContentStore.open(join(root, 'elsewhere'));
  await pullFromRepository(repo, other, [rootDesc]);
  assert.deepEqual(await other.readBytes(digest), data, 'the repository holds the good chunk');

  // a file that cannot be moved (here a directory is in the way of its quarantine name) still does not hide the pack
  rmSync(quarantined, { force: true });
  mkdirSync(join(quarantined, 'in-the-way'), { recursive: true });
  plant();
  assert.deepEqual(await content.readBytes(digest), data, 'the packed copy is read all the same');
  assert.ok(existsSync(file), 'the file stays where it is');

  // a verified stream of the damaged file fails, and the file it read, stuck, is all it blames: the pack is not quarantined
  await assert.rejects(async () => {
    for await (const _ of await content.reader(digest, { verify: true })) void _;
  }, DigestMismatchError);
  assert.ok(existsSync(file), 'still in place');
  assert.ok(content.packs.get(digest), 'the good packed copy is still served');
  rmSync(file);
  assert.deepEqual(await content.readBytes(digest), data, 'and read once the file is gone');
});
