/**
 * Push and pull between a local store and a local repository: round trip of small, big,
 * compressible and random blobs; dedup (a second push sends nothing); incremental; resume from
 * orphan packs; corruption refused on both sides.
 */
import assert from 'node:assert/strict';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { DigestMismatchError, IntegrityError } from '../../../src/core/errors.js';
import { LocalContentStore } from '../../../src/content/local-store.js';
import { pushToRepository, pullFromRepository } from '../../../src/ops/repo-copy.js';
import { repoStats } from '../../../src/repository/stats.js';
import { checkRepository } from '../../../src/repository/check.js';
import { manifestOf, localRepo, storeFixture, type BlobSpec } from '../../helpers/repo-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

const KiB = 1024;
const packTarget = 256 * KiB;
const MIX: BlobSpec[] = [
  { count: 150, size: 4 * KiB, kind: 'text' },
  { count: 50, size: 8 * KiB, kind: 'random' },
  { count: 10, size: 64 * KiB, kind: 'zeros' },
  { count: 1, size: 600 * KiB, kind: 'random' }, // own pack, raw
  { count: 1, size: 700 * KiB, kind: 'text' }, // own pack, zstd
];

async function flipByte(path: string, at: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
}

async function packFiles(repoPath: string): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(join(repoPath, 'data')).catch(() => [] as string[])) for (const f of await readdir(join(repoPath, 'data', d))) out.push(join(repoPath, 'data', d, f));
  return out;
}

test('push then pull round-trips every blob, compressed where it pays, and the repository checks clean', async (t) => {
  const fx = await storeFixture(t, MIX);
  const { repo } = await localRepo(t);
  const lock = await repo.lock('shared');
  const r = await pushToRepository(fx.store, repo, [fx.root], { packTarget });
  assert.equal(r.blobs, fx.blobs.length + 2, 'layers + config + manifest');
  assert.equal(r.sent.blobs, r.blobs);
  assert.equal(r.skipped.blobs, 0);
  assert.ok(r.sent.packs >= 4, `small blobs spread over several packs, big ones alone (got ${r.sent.packs})`);
  const stats = await repoStats(repo);
  assert.equal(stats.blobs, r.blobs);
  assert.ok(stats.compressionRatio > 1.5, `text and zeros compress (ratio ${stats.compressionRatio})`);
  assert.ok(stats.compressedBlobs >= 161 && stats.compressedBlobs < r.blobs - 50, 'random blobs stay raw');
  assert.deepEqual((await checkRepository(repo, { readData: true })).problems, []);

  const store2 = await LocalContentStore.open(join(await tempDir(t), 'store2'));
  const back = await pullFromRepository(repo, store2, [fx.root], { batchable: (d) => d.mediaType === 'application/vnd.oci.image.layer.v1.tar' });
  assert.equal(back.sent.blobs, r.blobs);
  for (const b of fx.blobs) assert.equal(await store2.rehash(b.digest), b.digest);
  const again = await pullFromRepository(repo, store2, [fx.root]);
  assert.equal(again.sent.blobs, 0, 'a second pull fetches nothing');
  assert.equal(again.skipped.blobs, r.blobs);
  await lock.release();
});

test('dedup: a second push of the same closure sends 0 bytes; an incremental one sends only the new blobs', async (t) => {
  const fx = await storeFixture(t, MIX.slice(0, 3));
  const { repo } = await localRepo(t);
  await repo.withLock('shared', async () => {
    await pushToRepository(fx.store, repo, [fx.root], { packTarget });
    const second = await pushToRepository(fx.store, repo, [fx.root], { packTarget });
    assert.deepEqual(second.sent, { blobs: 0, bytes: 0, storedBytes: 0, packs: 0 });
    assert.equal(second.skipped.blobs, second.blobs);

    const extra = await fx.store.put(Buffer.from('a brand new blob'));
    const layers = [...fx.blobs.map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: b.digest, size: b.size })), { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: extra.digest, size: extra.size }];
    const root2 = await manifestOf(fx.store, layers);
    const third = await pushToRepository(fx.store, repo, [root2], { packTarget });
    assert.equal(third.sent.blobs, 2, 'the new blob and the new manifest (the config is shared)');
    assert.equal(third.sent.bytes, extra.size + root2.size);
  });
});

test('resume: packs a cut-off push left without an index are adopted, not sent again', async (t) => {
  const fx = await storeFixture(t, MIX.slice(0, 2));
  const { repo, path } = await localRepo(t);
  await repo.withLock('shared', async () => {
    await pushToRepository(fx.store, repo, [fx.root], { packTarget });
    const packs = await packFiles(path);
    const { rm } = await import('node:fs/promises');
    await rm(join(path, 'index'), { recursive: true }); // as if the push died before writing its index
    const reopened = await repo.reloadIndex();
    assert.equal(reopened.blobs.size, 0);
    const again = await pushToRepository(fx.store, repo, [fx.root], { packTarget });
    assert.equal(again.adopted.packs, packs.length);
    assert.equal(again.sent.blobs, 0);
    assert.equal(again.sent.bytes, 0);
    assert.deepEqual((await checkRepository(repo)).problems, []);
  });
});

test('a corrupt blob in the local store never reaches the repository', async (t) => {
  const fx = await storeFixture(t, [{ count: 20, size: 4 * KiB, kind: 'text' }]);
  const { repo } = await localRepo(t);
  await flipByte(fx.store.blobPath(fx.blobs[7]!.digest), 100);
  await repo.withLock('shared', async () => {
    await assert.rejects(pushToRepository(fx.store, repo, [fx.root], { packTarget }), DigestMismatchError);
    assert.equal((await repo.index()).has(fx.blobs[7]!.digest), false);
  });
});

test('a flipped byte in a pack is caught on pull, and the bad blob is not committed', async (t) => {
  const fx = await storeFixture(t, [{ count: 1, size: 40 * KiB, kind: 'random' }]);
  const { repo, path } = await localRepo(t);
  await repo.withLock('shared', async () => {
    await pushToRepository(fx.store, repo, [fx.root], { packTarget });
    const loc = (await repo.index()).get(fx.blobs[0]!.digest)!;
    const pack = (await packFiles(path)).find((p) => p.endsWith(loc.pack.slice(7)))!;
    await flipByte(pack, loc.offset + 1000);
    const store2 = await LocalContentStore.open(join(await tempDir(t), 'store2'));
    await assert.rejects(pullFromRepository(repo, store2, [fx.root]), IntegrityError);
    assert.equal(await store2.info(fx.blobs[0]!.digest), undefined);
    const check = await checkRepository(repo, { readData: true });
    assert.ok(check.problems.some((p) => p.includes('damaged')), check.problems.join('\n'));
    assert.ok(check.problems.some((p) => p.includes(fx.blobs[0]!.digest)), 'the blob is named');
  });
});

test('push and pull refuse to run without a repository lock', async (t) => {
  const fx = await storeFixture(t, [{ count: 1, size: 10, kind: 'text' }]);
  const { repo } = await localRepo(t);
  await assert.rejects(pushToRepository(fx.store, repo, [fx.root]), /needs a shared lock/);
});
