/**
 * `repo detach`: a store keeps, for each repository it backs up to, the last snapshot's record and
 * trees of every volume (the next backup's parent). For a repository the user no longer has, those
 * stay forever unless detached. Detach, by location (even when the repository is gone) or by ID
 * prefix, drops exactly that repository's parents and the blobs only they kept; another
 * repository's parents stay and its next backup is still incremental; `system check` stays clean.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Digest } from '../../../src/core/digest.js';
import { LocalContentStore } from '../../../src/content/local-store.js';
import { backupScene, inspectBackup, writeVolume, type BackupScene } from '../../helpers/backup-scene.js';
import { needs } from '../../helpers/requirements.js';
import { tempDir } from '../../helpers/tmp.js';

interface Held {
  repository: string;
  location?: string;
  snapshots: number;
}

describe('repo detach', { skip: needs({ root: true, commands: ['unshare'] }), concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  let sc: BackupScene;
  let gone: string;
  const snapshotOf: Record<string, Digest> = {};
  before(async () => {
    sc = await backupScene({ after: (fn) => cleanups.push(fn) }, { sftp: false });
    gone = join(await tempDir({ after: (fn: () => unknown) => cleanups.push(fn) }, 'lb-gone-'), 'repo');
    await sc.ok(['repo', 'init', gone]);
    await sc.ok(['volume', 'create', 'data']);
    await sc.ok(['run', '-d', '--name', 'app', '-v', 'data:/data', sc.s.image, 'sleep', '600']);
    await writeVolume(sc.s.root, 'data', [{ path: 'a.txt', text: 'one\n' }]);
    for (const [name, url] of [['kept', sc.url], ['gone', gone]] as const) {
      const id = (JSON.parse(await sc.ok(['backup', 'app', '--to', url, '--json'])) as Array<{ id: string }>)[0]!.id;
      const rec = (JSON.parse(await sc.ok(['backup', 'inspect', id, '--repo', url, '--json'])) as Array<{ Record: { volumes: Array<{ snapshot: { digest: Digest } }> } }>)[0]!.Record;
      snapshotOf[name] = rec.volumes[0]!.snapshot.digest;
    }
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  const held = async () => (JSON.parse(await sc.ok(['system', 'check', '--json'])) as { held: Held[] }).held;

  test('system check names each repository the store keeps parents for, with its location', async () => {
    const h = await held();
    assert.deepEqual(h.map((x) => [x.location, x.snapshots]).sort(), [[gone, 1], [sc.url, 1]].sort());
  });

  test('a gone repository is detached by its location; only its parents go, and the other repository stays incremental', async () => {
    await rm(gone, { recursive: true });
    const r = await sc.s.cli(['repo', 'detach', gone, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { location: string; volumes: string[]; snapshots: number; released: { blobs: number } };
    assert.deepEqual([out.location, out.volumes, out.snapshots], [gone, ['data'], 1]);
    assert.ok(out.released.blobs >= 1, 'at least its own snapshot record left the store');
    const content = await LocalContentStore.open(sc.s.root);
    assert.equal(await content.info(snapshotOf.gone!), undefined, "the gone repository's parent record is out of the store");
    assert.ok(await content.info(snapshotOf.kept!), "the other repository's parent stays");
    assert.deepEqual((await held()).map((x) => x.location), [sc.url]);

    await writeVolume(sc.s.root, 'data', [{ path: 'b.txt', text: 'two\n' }]);
    const next = (JSON.parse(await sc.ok(['backup', 'app', '--to', sc.url, '--json'])) as Array<{ id: string }>)[0]!.id;
    const stats = (await inspectBackup(sc, next)).Record.stats;
    assert.ok(stats.unchangedFiles >= 1, `the kept repository's next backup still has its parent: a.txt was not read again (${JSON.stringify(stats)})`);
  });

  test('by ID prefix; a repository it keeps nothing for is exit 3 naming those it does; a bad location is exit 2', async () => {
    const [kept] = await held();
    const missing = await sc.s.cli(['repo', 'detach', join(sc.s.root, 'nowhere')]);
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, new RegExp(`keeps parents for: ${kept!.repository.slice(0, 12)}`));
    const bad = await sc.s.cli(['repo', 'detach', 's3://bucket/repo']);
    assert.equal(bad.code, 2, bad.stderr);
    const r = await sc.s.cli(['repo', 'detach', kept!.repository.slice(0, 8)]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`detached repository ${kept!.repository.slice(0, 12)} \\(${sc.url}\\): dropped the backup parents of 1 volume\\(s\\) \\(data\\)`));
    assert.deepEqual(await held(), []);
    const check = await sc.s.cli(['system', 'check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });
});
