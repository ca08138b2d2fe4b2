/**
 * A staged restore whose base the repository no longer has: a volume was staged from backup B1
 * (`receive stage`), then B1 was forgotten and pruned, so its snapshot record is gone from the
 * repository. `restore B2 --staged` must not fail for it: the fetch of the bases leaves the
 * missing one out, the patch finds no base, the stage is dropped and the volume restored whole,
 * equal to B2's snapshot by a tree walk. With the base present, the same steps patch (the control).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { openRepository } from '../../../src/repository/repository.js';
import { backupScene, inspectBackup, writeVolume, type BackupScene } from '../../helpers/backup-scene.js';
import { diffRaw, rawTree } from '../../helpers/raw-tree.js';
import { needs } from '../../helpers/requirements.js';

interface Restored {
  volumes: Array<{ name: string; patched: boolean }>;
}

describe('a staged restore whose base the repository lacks', { skip: needs({ root: true, commands: ['unshare'] }), concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  let sc: BackupScene;
  const ids: Record<string, string> = {};
  before(async () => {
    sc = await backupScene({ after: (fn) => cleanups.push(fn) }, { sftp: false });
    await sc.ok(['volume', 'create', 'data']);
    await sc.ok(['run', '-d', '--name', 'app', '-v', 'data:/data', sc.s.image, 'sleep', '600']);
    const backup = async () => (JSON.parse(await sc.ok(['backup', 'app', '--to', sc.url, '--json'])) as Array<{ id: string }>)[0]!.id;
    await writeVolume(sc.s.root, 'data', [{ path: 'big.bin', random: 512 * 1024 }, { path: 'conf/a.txt', text: 'one\n' }]);
    ids.b1 = await backup();
    await writeVolume(sc.s.root, 'data', [{ path: 'conf/a.txt', text: 'two\n' }, { path: 'new.txt', text: 'new\n' }]);
    ids.b2 = await backup();
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  const stageDir = (id: string) => join(sc.s.root, 'migrate', id, 'staged');
  const stageAndRestore = async (migration: string, as: string): Promise<Restored> => {
    await sc.ok(['receive', 'stage', ids.b1!, '--repo', sc.url, '--into', stageDir(migration), '-v', `data=${as}`]);
    assert.ok(existsSync(join(stageDir(migration), as, 'base.json')), 'the stage is whole');
    return JSON.parse(await sc.ok(['restore', ids.b2!, '--from', sc.url, '--staged', stageDir(migration), '-v', `data=${as}`, '--name', `app-${as}`, '--json'])) as Restored;
  };
  const sameAsSource = async (volume: string) => {
    const diff = diffRaw(await rawTree(join(sc.s.root, 'volumes', 'data', '_data')), await rawTree(join(sc.s.root, 'volumes', volume, '_data')));
    assert.deepEqual(diff, [], `volume ${volume} equals the backed-up data`);
  };

  test('control: with the base in the repository, the stage is patched', async () => {
    const r = await stageAndRestore('0123456789ab', 'patched');
    assert.deepEqual(r.volumes.map((v) => [v.name, v.patched]), [['patched', true]]);
    await sameAsSource('patched');
  });

  test('with the base forgotten and pruned, the volume is restored whole and equals the backup', async () => {
    const base = (await inspectBackup(sc, ids.b1!)).Record.volumes[0]!.snapshot.digest;
    const final = (await inspectBackup(sc, ids.b2!)).Record.volumes[0]!.snapshot.digest;
    await sc.ok(['receive', 'stage', ids.b1!, '--repo', sc.url, '--into', stageDir('0123456789cd'), '-v', 'data=whole']);
    await sc.ok(['forget', ids.b1!, '--repo', sc.url, '--prune']);
    const repo = await openRepository(sc.url);
    try {
      const index = await repo.withLock('shared', () => repo.index());
      assert.equal(index.get(base as Digest), undefined, "the base snapshot's record is gone from the repository");
      assert.ok(index.get(final as Digest), 'the final one is there');
    } finally {
      await repo.close();
    }
    const r = JSON.parse(await sc.ok(['restore', ids.b2!, '--from', sc.url, '--staged', stageDir('0123456789cd'), '-v', 'data=whole', '--name', 'app-whole', '--json'])) as Restored;
    assert.deepEqual(r.volumes.map((v) => [v.name, v.patched]), [['whole', false]]);
    await sameAsSource('whole');
    assert.equal(existsSync(join(stageDir('0123456789cd'), 'whole', 'data')), false, 'the unusable stage was removed');
  });
});
