/**
 * Prune: with the set of live blobs, unreferenced blobs leave the index, packs holding only garbage
 * are deleted, mostly-garbage packs are repacked, and what stays is intact (check --read-data clean,
 * a pull of the live closure works). Needs the exclusive lock; a dry run changes nothing.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { mark } from '../../../src/content/gc.js';
import { LocalContentStore } from '../../../src/content/local-store.js';
import { childrenOf } from '../../../src/ops/gc.js';
import { pullFromRepository, pushToRepository } from '../../../src/ops/repo-copy.js';
import { checkRepository } from '../../../src/repository/check.js';
import { prune } from '../../../src/repository/prune.js';
import { repoStats } from '../../../src/repository/stats.js';
import { localRepo, manifestOf, storeFixture } from '../../helpers/repo-fixtures.js';
import { tempDir } from '../../helpers/tmp.js';

test('prune keeps exactly the live closure, deletes and repacks the rest, and leaves a sound repository', async (t) => {
  const fx = await storeFixture(t, [
    { count: 40, size: 8 * 1024, kind: 'random' },
    { count: 60, size: 4 * 1024, kind: 'text' },
  ]);
  const keepLayers = fx.blobs.filter((_, i) => i % 7 === 0).map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: b.digest, size: b.size }));
  const keepRoot = await manifestOf(fx.store, keepLayers);
  const { repo } = await localRepo(t);
  await repo.withLock('shared', () => pushToRepository(fx.store, repo, [fx.root, keepRoot], { packTarget: 64 * 1024 }));
  await repo.reloadIndex();
  const before = await repoStats(repo);

  await assert.rejects(prune(repo, new Set()), /needs a exclusive lock/);
  const { live } = await mark(fx.store, [keepRoot], (d) => childrenOf(fx.store, d));

  await repo.withLock('exclusive', async () => {
    const dry = await prune(repo, live, { dryRun: true, packTarget: 64 * 1024 });
    assert.equal(dry.dryRun, true);
    assert.deepEqual(await repoStats(repo), before, 'a dry run changes nothing');

    const r = await prune(repo, live, { packTarget: 64 * 1024 });
    assert.equal(r.blobs.kept, live.size);
    assert.equal(r.blobs.removed, before.blobs - live.size);
    assert.equal(r.blobs.missing, 0);
    assert.ok(r.packs.deleted + r.packs.repacked > 0, JSON.stringify(r));
    assert.ok(r.indexFiles.deleted >= 1);
  });
  const after = await repoStats(repo);
  assert.equal(after.blobs, live.size);
  assert.ok(after.packBytes < before.packBytes / 2, `${after.packBytes} < ${before.packBytes} / 2`);
  assert.equal(after.indexFiles, 1, 'the index is folded into one file');
  await repo.withLock('shared', async () => {
    assert.deepEqual((await checkRepository(repo, { readData: true })).problems, []);
    const store2 = await LocalContentStore.open(join(await tempDir(t), 'store2'));
    const back = await pullFromRepository(repo, store2, [keepRoot]);
    assert.equal(back.sent.blobs, live.size);
  });
});
