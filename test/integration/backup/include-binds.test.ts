/**
 * `backup --include-binds`: a bind-mounted host directory is snapshotted with the container and
 * can be written back. Without the flag a backup records the bind (source, target) and no data.
 * A restore writes bind data only when asked (--include-binds), into the recorded path or one
 * remapped with --volume SRC=/new/path, bit for bit (every node kind of the fixture tree); it
 * refuses a non-empty path unless --overwrite, leaving the path and the container list as they
 * were; and `verify` gives the sandboxed container the bind's data as a throw-away volume, so
 * a container that needs it passes with the data and fails, with the reason, without it.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backupScene, inspectBackup, type BackupScene } from '../../helpers/backup-scene.js';
import { buildFixtureTree } from '../../helpers/fixture-tree.js';
import { needs } from '../../helpers/requirements.js';
import { waitFor } from '../../helpers/runtime-store.js';
import { tempDir } from '../../helpers/tmp.js';
import { compareTrees } from '../../helpers/tree-compare.js';

describe('backup --include-binds', { skip: needs({ root: true, commands: ['unshare'] }), concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  const t = { after: (fn: () => unknown) => cleanups.push(fn) };
  let sc: BackupScene;
  let host: string;
  let src: string;
  let withData: string;
  let without: string;
  before(async () => {
    sc = await backupScene(t, { sftp: false });
    host = await tempDir(t, 'lb-binds-');
    src = join(host, 'src');
    await buildFixtureTree(src, { sparseBytes: 4 * 1024 * 1024 });
    await writeFile(join(src, 'marker'), 'bind data\n');
    // Needs the bind's data to start: `verify` tells a sandbox with it from one without.
    await sc.ok(['run', '-d', '--name', 'c1', '-v', `${src}:/srv`, sc.s.image, 'sh', '-c', 'cat /srv/marker && exec sleep 600']);
    without = (JSON.parse(await sc.ok(['backup', 'c1', '--to', sc.url, '--json'])) as Array<{ id: string }>)[0]!.id;
    withData = (JSON.parse(await sc.ok(['backup', 'c1', '--to', sc.url, '--include-binds', '--json'])) as Array<{ id: string }>)[0]!.id;
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('the record has the bind either way, and its data only with --include-binds', async () => {
    const plain = (await inspectBackup(sc, without)).Record.binds;
    assert.deepEqual(plain.map((b) => [b.source, b.target, b.snapshot]), [[src, '/srv', undefined]]);
    const full = (await inspectBackup(sc, withData)).Record.binds;
    assert.equal(full.length, 1);
    assert.equal(full[0]!.source, src);
    assert.ok(full[0]!.snapshot, 'a snapshot of the bind');
    assert.ok((full[0]!.files ?? 0) > 10, `files counted: ${full[0]!.files}`);
  });

  test('restore --include-binds into a remapped path brings the tree back bit for bit, and the container sees it', async () => {
    const dst = join(host, 'restored');
    await sc.ok(['restore', withData, '--from', sc.url, '--name', 'c2', '--include-binds', '--start', '--volume', `${src}=${dst}`]);
    assert.deepEqual(await compareTrees(src, dst), []);
    await waitFor('the restored container to run', async () => (await sc.s.inspect('c2')).State.Running);
    assert.equal((await sc.s.cli(['exec', 'c2', 'cat', '/srv/marker'])).stdout, 'bind data\n');
    await sc.ok(['rm', '-f', 'c2']);
  });

  test('without --include-binds a restore leaves the host path alone', async () => {
    const dst = join(host, 'untouched');
    await mkdir(dst);
    await sc.ok(['restore', withData, '--from', sc.url, '--name', 'c3', '--volume', `${src}=${dst}`]);
    assert.deepEqual(await readdir(dst), []);
    await sc.ok(['rm', '-f', 'c3']);
  });

  test('a non-empty bind path is refused (exit 4) and kept; --overwrite replaces it', async () => {
    const dst = join(host, 'occupied');
    await mkdir(dst);
    await writeFile(join(dst, 'mine'), 'not the backup\n');
    const containers = (await sc.s.ps()).map((c) => c.Names);
    const r = await sc.s.cli(['restore', withData, '--from', sc.url, '--name', 'c4', '--include-binds', '--volume', `${src}=${dst}`]);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /is not empty/);
    assert.deepEqual(await readdir(dst), ['mine']);
    assert.equal(await readFile(join(dst, 'mine'), 'utf8'), 'not the backup\n');
    assert.deepEqual((await sc.s.ps()).map((c) => c.Names), containers, 'no container created');
    await sc.ok(['restore', withData, '--from', sc.url, '--name', 'c4', '--include-binds', '--overwrite', '--volume', `${src}=${dst}`]);
    assert.deepEqual(await compareTrees(src, dst), []);
    await sc.ok(['rm', '-f', 'c4']);
  });

  test("verify gives the sandbox the bind's data: passes with it, fails with the reason without it", async () => {
    const good = JSON.parse(await sc.ok(['verify', withData, '--repo', sc.url, '--verify-time', '2s', '--json'])) as { passed: boolean; reason: string };
    assert.equal(good.passed, true, good.reason);
    const r = await sc.s.cli(['verify', without, '--repo', sc.url, '--verify-time', '2s', '--json']);
    assert.equal(r.code, 8, r.stderr);
    const bad = JSON.parse(r.stdout) as { passed: boolean; reason: string };
    assert.equal(bad.passed, false);
    assert.match(bad.reason, /exited with code 1/);
  });
});
