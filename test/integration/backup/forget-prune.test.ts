/**
 * forget and prune keep exactly what the policy says, per container: --dry-run decides and changes
 * nothing; --keep-last/--keep-tag remove the rest; --prune deletes the data only forgotten backups
 * used (a file that was in them alone) and nothing a kept backup needs: `repo check --read-data`
 * is clean and a kept backup still proves itself with `verify`. Forget by ID, prune --dry-run.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backupScene, writeVolume, type BackupScene } from '../../helpers/backup-scene.js';
import { needs } from '../../helpers/requirements.js';

interface Decision {
  id: string;
  container: string;
  keep: boolean;
  reasons: string[];
}

describe('forget and prune', { skip: needs({ root: true, commands: ['unshare'] }), concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  let sc: BackupScene;
  const ids: Record<string, string> = {};
  before(async () => {
    sc = await backupScene({ after: (fn) => cleanups.push(fn) }, { sftp: false });
    for (const c of ['a', 'b']) {
      await sc.ok(['volume', 'create', `v${c}`]);
      await sc.ok(['run', '-d', '--name', `c${c}`, '-v', `v${c}:/data`, sc.s.image, 'sleep', '600']);
    }
    const backup = async (c: string, ...extra: string[]) => (JSON.parse(await sc.ok(['backup', `c${c}`, '--to', sc.url, '--json', ...extra])) as Array<{ id: string }>)[0]!.id;
    await writeVolume(sc.s.root, 'va', [{ path: 'old.bin', random: 1024 * 1024 }, { path: 'keep.txt', text: 'kept\n' }]);
    ids.a1 = await backup('a');
    await rm(join(sc.s.root, 'volumes', 'va', '_data', 'old.bin'));
    await writeVolume(sc.s.root, 'va', [{ path: 'n.txt', text: 'two\n' }]);
    ids.a2 = await backup('a');
    await writeVolume(sc.s.root, 'va', [{ path: 'n.txt', text: 'three\n' }]);
    ids.a3 = await backup('a');
    await writeVolume(sc.s.root, 'vb', [{ path: 'b.txt', text: 'b\n' }]);
    ids.b1 = await backup('b', '--tag', 'keep');
    ids.b2 = await backup('b');
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  const listed = async () => (JSON.parse(await sc.ok(['backups', '--repo', sc.url, '--json'])) as Array<{ id: string }>).map((b) => b.id).sort();
  const stats = async () => JSON.parse(await sc.ok(['repo', 'stats', sc.url, '--json'])) as { rawBytes: number; blobs: number };

  test('--dry-run decides per container, with reasons, and changes nothing', async () => {
    const r = JSON.parse(await sc.ok(['forget', '--repo', sc.url, '--keep-last', '1', '--dry-run', '--json'])) as { decisions: Decision[]; removed: number };
    const keep = (id: string) => r.decisions.find((d) => d.id === id)!;
    assert.deepEqual([ids.a1, ids.a2, ids.a3, ids.b1, ids.b2].map((id) => keep(id!).keep), [false, false, true, false, true]);
    assert.deepEqual(keep(ids.a3!).reasons, ['last snapshot']);
    assert.equal(r.removed, 0);
    assert.equal((await listed()).length, 5);
  });

  test('--keep-last 1 --keep-tag keep --prune removes exactly the others and the data only they used', async () => {
    const before = await stats();
    const r = JSON.parse(await sc.ok(['forget', '--repo', sc.url, '--keep-last', '1', '--keep-tag', 'keep', '--prune', '--json'])) as { decisions: Decision[]; removed: number; prune: { packs: { deleted: number } } };
    assert.equal(r.removed, 2);
    assert.deepEqual(r.decisions.find((d) => d.id === ids.b1)!.reasons, ['has tags [keep]']);
    assert.deepEqual(await listed(), [ids.a3, ids.b1, ids.b2].sort());
    const afterStats = await stats();
    assert.ok(before.rawBytes - afterStats.rawBytes >= 1024 * 1024, `old.bin's megabyte is gone (${before.rawBytes} → ${afterStats.rawBytes})`);
    const check = await sc.s.cli(['repo', 'check', sc.url, '--read-data', '--json']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const v = JSON.parse(await sc.ok(['verify', ids.a3!, '--repo', sc.url, '--verify-time', '1s', '--json'])) as { passed: boolean; reason: string };
    assert.equal(v.passed, true, v.reason);
  });

  test('forget by ID prefix; prune --dry-run reports, prune deletes', async () => {
    const r = JSON.parse(await sc.ok(['forget', ids.b1!.slice(0, 10), '--repo', sc.url, '--json'])) as { removed: number };
    assert.equal(r.removed, 1);
    assert.deepEqual(await listed(), [ids.a3, ids.b2].sort());
    const blobs = (await stats()).blobs;
    const dry = JSON.parse(await sc.ok(['prune', '--repo', sc.url, '--dry-run', '--json'])) as { dryRun: boolean; blobs: { removed: number } };
    assert.equal(dry.dryRun, true);
    assert.equal((await stats()).blobs, blobs, 'a dry run deletes nothing');
    const done = JSON.parse(await sc.ok(['prune', '--repo', sc.url, '--json'])) as { blobs: { removed: number } };
    assert.equal(done.blobs.removed, dry.blobs.removed);
    assert.equal((await sc.s.cli(['repo', 'check', sc.url, '--read-data'])).code, 0);
    const none = await sc.s.cli(['forget', '--repo', sc.url]);
    assert.equal(none.code, 2, 'an empty policy is refused');
  });
});
