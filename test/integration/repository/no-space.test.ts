/**
 * A full disk under a local repository: the push fails with NoSpaceError (exit 14) and leaves
 * nothing half-written: no temp files, every pack under data/ whole (so `repo check --read-data`
 * is clean), and the repository still opens. The disk is a 2 MiB tmpfs mounted by the test.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isTempName } from '../../../src/repository/backend.js';
import { LocalBackend } from '../../../src/repository/backends/local-backend.js';
import { Repository } from '../../../src/repository/repository.js';
import { lifeboat } from '../../helpers/cli.js';
import { runPush } from '../../helpers/push-process.js';
import { storeFixture } from '../../helpers/repo-fixtures.js';
import { needs } from '../../helpers/requirements.js';

test('a full disk gives NoSpaceError (exit 14) with nothing half-written', { skip: needs({ root: true, commands: ['mount', 'umount'] }) }, async (t) => {
  const mnt = await mkdtemp(join(tmpdir(), 'lb-small-disk-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
  t.after(async () => {
    if (m.status === 0) spawnSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });
  assert.equal(m.status, 0, m.stderr);
  const path = join(mnt, 'repo');
  await Repository.init(new LocalBackend(path));

  const fx = await storeFixture(t, [{ count: 24, size: 128 * 1024, kind: 'random' }]); // 3 MiB into 2 MiB
  const run = await runPush({ store: fx.store.root, url: path, roots: [fx.root], packTarget: 256 * 1024 });
  assert.equal(run.code, 14, run.output);
  assert.match(run.error ?? '', /^NO_SPACE /);

  const files = await new LocalBackend(path).list('');
  assert.deepEqual(files.filter((f) => isTempName(f.name)), [], 'no temp file left behind');
  assert.ok(files.some((f) => f.name.startsWith('data/')), 'some packs made it before the disk filled');
  const check = await lifeboat(['repo', 'check', path, '--read-data', '--json']);
  assert.equal(check.code, 0, check.stdout + check.stderr);
  const report = JSON.parse(check.stdout) as { problems: string[]; unindexedPacks: number; packs: number };
  assert.deepEqual(report.problems, [], 'every pack and index file there is whole');
  assert.ok(report.packs + report.unindexedPacks > 0);
});
