/**
 * A snapshot killed with SIGKILL half way leaves no snapshot (no ref; the record is written last)
 * and no damage: the next snapshot succeeds and restores, `system check` finds nothing wrong, and
 * garbage collection removes what the dead run left behind.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { storeLayout } from '../../../src/core/layout.js';
import { collectGarbage } from '../../../src/ops/gc.js';
import { checkStore } from '../../../src/ops/system-check.js';
import { restoreVolume } from '../../../src/volumes/restore-volume.js';
import { SnapshotRefs } from '../../../src/volumes/snapshot-refs.js';
import { BIN, lifeboatOk } from '../../helpers/cli.js';
import { diffRaw, rawTree } from '../../helpers/raw-tree.js';
import { tempDir } from '../../helpers/tmp.js';
import { stores } from '../../helpers/volume-fixtures.js';

test('a snapshot killed with kill -9 leaves no snapshot, and the next run succeeds', async (t) => {
  const root = await tempDir(t);
  const { content, volumes } = await stores(root);
  await volumes.create('v');
  const data = volumes.dataPath('v');
  for (let d = 0; d < 8; d++) {
    mkdirSync(join(data, `d${d}`));
    for (let i = 0; i < 40; i++) writeFileSync(join(data, `d${d}`, `f${i}`), randomBytes(512 * 1024 + i));
  }
  const layout = storeLayout(root);
  const child = spawn(process.execPath, [BIN, 'volume', 'snapshot', 'v'], { env: { ...process.env, LIFEBOAT_ROOT: root, LIFEBOAT_NO_PROGRESS: '1' }, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  // Wait until it is writing packs (one named, or 4 MiB in ingest/), then kill it where it stands.
  const writing = () => readdirSync(layout.packs).length > 0 || readdirSync(layout.ingest).reduce((n, f) => n + (statSync(join(layout.ingest, f), { throwIfNoEntry: false })?.size ?? 0), 0) >= 4 << 20;
  for (let i = 0; i < 2000 && !(existsSync(layout.packs) && writing()); i++) await sleep(5);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', 'the snapshot was still running when killed');

  const refs = new SnapshotRefs(root);
  assert.deepEqual(await refs.list(), [], 'no snapshot ref: no half snapshot');
  const left = readdirSync(layout.ingest).length;

  await lifeboatOk(['volume', 'snapshot', 'v'], { root });
  const [snap] = await refs.snapshots(content);
  assert.ok(snap);
  assert.equal(snap.record.stats.files, 320);
  const check = await checkStore(content);
  assert.deepEqual(check.problems, []);

  await restoreVolume(content, volumes, snap, { to: 'back' });
  assert.deepEqual(diffRaw(await rawTree(data), await rawTree(volumes.dataPath('back'))), []);

  const gc = await collectGarbage(content);
  assert.deepEqual((await checkStore(content)).problems, [], 'GC keeps everything the snapshot needs');
  assert.ok(readdirSync(layout.ingest).length <= left && readdirSync(layout.ingest).length === 0, `GC cleans the dead run's temp files (${gc.deleted.length} blobs deleted)`);
});
