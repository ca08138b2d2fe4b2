/**
 * The volume commands end to end through the real CLI binary, with --json: Docker's volume
 * lifecycle (create, ls with filters, inspect, rm refusing a volume in use, prune of anonymous
 * volumes) and the snapshot commands (snapshot, snapshots, diff, restore, export, import, forget
 * with --dry-run reasons and --prune), plus GC and `system check` seeing snapshots as roots.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lifeboat, lifeboatOk } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/tmp.js';

const json = async (args: string[], root: string) => JSON.parse((await lifeboatOk([...args, '--json'], { root })).stdout) as unknown;

test('volume lifecycle: create, ls, inspect, rm, prune', async (t) => {
  const root = await tempDir(t);
  const created = (await json(['volume', 'create', 'db', '--label', 'app=pg', '-o', 'size=1g'], root)) as { Name: string; Labels: Record<string, string>; Options: Record<string, string> };
  assert.deepEqual([created.Name, created.Labels, created.Options], ['db', { app: 'pg' }, { size: '1g' }]);
  await lifeboatOk(['volume', 'create', 'cache'], { root });
  assert.equal((await lifeboatOk(['volume', 'ls'], { root })).stdout, 'DRIVER   VOLUME NAME\nlocal    cache\nlocal    db\n');
  assert.equal((await lifeboatOk(['volume', 'ls', '-q', '--filter', 'label=app=pg'], { root })).stdout, 'db\n');
  const inspected = (await json(['inspect', 'db'], root)) as Array<{ Mountpoint: string; Driver: string }>;
  assert.equal(inspected[0]!.Driver, 'local');
  assert.equal(inspected[0]!.Mountpoint, join(root, 'volumes', 'db', '_data'));

  // A (stopped) container whose record mounts `db` makes it "in use" (the runtime writes these).
  const id = 'c'.repeat(64);
  mkdirSync(join(root, 'containers', id), { recursive: true });
  writeFileSync(join(root, 'containers', id, 'config.json'), JSON.stringify({ id, name: 'pg', mounts: [{ type: 'volume', source: 'db', target: '/var/lib/pg' }] }));
  writeFileSync(join(root, 'containers', id, 'state.json'), JSON.stringify({ status: 'exited', pid: 0, pidStart: 0, supervisorPid: 0, supervisorStart: 0, bootId: '', startedAt: null, finishedAt: null, exitCode: 0, error: '', restartCount: 0, manuallyStopped: true, hasRun: true }));
  assert.equal((await lifeboatOk(['volume', 'ls', '-q', '--filter', 'dangling=true'], { root })).stdout, 'cache\n');
  const refused = await lifeboat(['volume', 'rm', 'db'], { root });
  assert.equal(refused.code, 4);
  assert.match(refused.stderr, /volume is in use - \[pg\]/);

  // prune: anonymous unused volumes by default, every unused one with -a, never one in use.
  const anon = JSON.parse(readFileSync(join(root, 'volumes', 'cache', 'meta.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(root, 'volumes', 'cache', 'meta.json'), JSON.stringify({ ...anon, anonymous: true }));
  await lifeboatOk(['volume', 'create', 'keep'], { root });
  assert.deepEqual(((await json(['volume', 'prune'], root)) as { deleted: string[] }).deleted, ['cache']);
  assert.deepEqual(((await json(['volume', 'prune', '-a'], root)) as { deleted: string[] }).deleted, ['keep']);
  assert.deepEqual(await json(['volume', 'ls', '-q'], root), ['db']);
  assert.deepEqual(await json(['volume', 'rm', '-f', 'db', 'nosuch'], root), ['db']);
  assert.equal((await lifeboat(['volume', 'rm', 'nosuch'], { root })).code, 3);
});

interface Row {
  ID: string;
  Digest: string;
  Tags: string[];
  Files: number;
  Stats: { readBytes: number };
}

test('snapshot commands: snapshot, snapshots, diff, restore, export, import, forget', async (t) => {
  const root = await tempDir(t);
  await lifeboatOk(['volume', 'create', 'db'], { root });
  const data = join(root, 'volumes', 'db', '_data');
  writeFileSync(join(data, 'a.txt'), 'first\n');
  mkdirSync(join(data, 'dir'));
  writeFileSync(join(data, 'dir', 'b.txt'), 'b\n');
  const s1 = (await json(['volume', 'snapshot', 'db', '--tag', 'nightly', '--label', 'by=test'], root)) as Row;
  assert.match(s1.ID, /^[0-9a-f]{12}$/);
  assert.deepEqual(s1.Tags, ['nightly']);
  writeFileSync(join(data, 'a.txt'), 'second\n');
  writeFileSync(join(data, 'new.txt'), 'new\n');
  const s2 = (await json(['volume', 'snapshot', 'db'], root)) as Row;
  const rows = (await json(['volume', 'snapshots', 'db'], root)) as Row[];
  assert.deepEqual(rows.map((r) => r.ID), [s2.ID, s1.ID], 'newest first');
  const table = (await lifeboatOk(['volume', 'snapshots'], { root })).stdout.split('\n')[0]!;
  assert.deepEqual(table.split(/\s{2,}/), ['ID', 'VOLUME', 'CREATED', 'SIZE', 'ADDED', 'FILES', 'TAGS']);

  const diff = (await json(['volume', 'diff', s1.ID, s2.ID], root)) as { changes: Array<{ change: string; path: string }> };
  assert.deepEqual(diff.changes, [
    { change: 'M', path: 'a.txt', type: 'file' },
    { change: '+', path: 'new.txt', type: 'file' },
  ]);

  const r = (await json(['volume', 'restore', s1.ID, '--to', 'old'], root)) as { created: boolean; files: number };
  assert.deepEqual([r.created, r.files], [true, 2]);
  assert.equal(readFileSync(join(root, 'volumes', 'old', '_data', 'a.txt'), 'utf8'), 'first\n');
  const busy = await lifeboat(['volume', 'restore', s1.ID], { root });
  assert.equal(busy.code, 4, 'an existing, non-empty volume needs --overwrite');
  await lifeboatOk(['volume', 'restore', 'db:latest', '--to', 'old', '--overwrite', '--include', 'new.txt'], { root });
  assert.equal(readFileSync(join(root, 'volumes', 'old', '_data', 'new.txt'), 'utf8'), 'new\n');
  assert.equal((await lifeboat(['volume', 'restore', 'ffffffffffff'], { root })).code, 3);

  const tar = join(root, 'db.tar.zst');
  await lifeboatOk(['volume', 'export', s2.ID, '-o', tar], { root });
  assert.equal((await json(['volume', 'import', 'copy', tar], root) as { entries: number }).entries, 4);
  assert.equal(readFileSync(join(root, 'volumes', 'copy', '_data', 'dir', 'b.txt'), 'utf8'), 'b\n');

  const dry = (await json(['volume', 'forget', '--keep-last', '1', '--dry-run'], root)) as { decisions: Array<{ id: string; keep: boolean; reasons: string[] }> };
  assert.deepEqual(dry.decisions.map((d) => [d.id.slice(7, 19), d.keep, d.reasons]), [
    [s2.ID, true, ['last snapshot']],
    [s1.ID, false, []],
  ]);
  assert.match((await lifeboatOk(['volume', 'forget', '--keep-last', '1', '--dry-run'], { root })).stdout, /would remove 1 snapshots/);
  assert.equal((await lifeboat(['volume', 'forget'], { root })).code, 2, 'no policy: refused');

  const gc = (await json(['system', 'gc'], root)) as { deleted: unknown[] };
  assert.deepEqual(gc.deleted, [], 'GC keeps every blob of both snapshots');
  const forgot = (await json(['volume', 'forget', '--keep-last', '1', '--prune'], root)) as { removed: number; gc: { deleted: unknown[] } };
  assert.equal(forgot.removed, 1);
  assert.ok(forgot.gc.deleted.length >= 2, 'the first snapshot\'s record and its own blobs are collected');
  await lifeboatOk(['system', 'check'], { root });
  await lifeboatOk(['volume', 'restore', s2.ID, '--to', 'again'], { root });
  assert.ok(existsSync(join(root, 'volumes', 'again', '_data', 'new.txt')));
});
