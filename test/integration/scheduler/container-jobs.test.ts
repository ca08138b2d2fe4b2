/**
 * Scheduled whole-container backups for real: containers that run, a repository over SFTP to a
 * real sshd on loopback (the SSH options written in the schedule file), the real operations.
 *
 * - retention (keep-last 1) after each backup run leaves exactly the newest backup of each
 *   container, prune drops the rest, and `repo check` is clean
 * - a drill fired by `scheduler run` restores the newest backups into sandboxes, passes the good
 *   one, catches the broken one (its command does not exist) and posts the alert
 * - SIGTERM while a backup uploads (grace 0): the run is cancelled at a safe point, no ref is
 *   written, `repo check` and the local `system check` are clean, the container runs on, and the
 *   next run completes
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { RunView } from '../../../src/scheduler/run-record.js';
import { backupScene, writeVolume, type BackupScene } from '../../helpers/backup-scene.js';
import { needs } from '../../helpers/requirements.js';
import { startScheduler, webhookReceiver } from '../../helpers/scheduler-process.js';
import { SSHD } from '../../helpers/sshd.js';
import { tempDir } from '../../helpers/tmp.js';

const MiB = 1024 * 1024;

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out.sort();
}

describe('scheduled container backups, retention, drills and shutdown', { skip: needs({ root: true, commands: ['unshare', SSHD, 'ssh-keygen'] }), concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  const t = { after: (fn: () => unknown) => cleanups.push(fn) };
  let sc: BackupScene;
  let dirs: { backups: string; drills: string; sigterm: string };
  const refs = async () => (await readdir(join(sc.path, 'backups'))).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  const history = async (job: string) => JSON.parse(await sc.ok(['schedule', 'history', job, '--all', '--json'])) as RunView[];

  before(async () => {
    sc = await backupScene(t, { sftp: true });
    await sc.ok(['volume', 'create', 'appdata']);
    await writeVolume(sc.s.root, 'appdata', Array.from({ length: 8 }, (_, i) => ({ path: `f${i}.txt`, text: `file ${i}\n`.repeat(100) })));
    await sc.ok(['run', '-d', '--name', 'app', '-v', 'appdata:/data', sc.s.image, 'sh', '-c', 'exec sleep 600']);
    await sc.ok(['create', '--name', 'broken', sc.s.image, '/no/such/command']);
    const repo = `{ url: "${sc.url}", identity: "${sc.sshd!.key}", knownHosts: "${sc.sshd!.knownHosts}" }`;
    const base = await tempDir(t, 'lb-schedules-');
    dirs = { backups: join(base, 'backups'), drills: join(base, 'drills'), sigterm: join(base, 'sigterm') };
    for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
    const yearly = '    cron: "0 0 0 1 1 *"';
    await writeFile(join(dirs.backups, 'b.yaml'), ['jobs:', '  - name: nightly', yearly, '    containers: [app, broken]', `    repository: ${repo}`, '    retention: { keep-last: 1 }', ''].join('\n'));
    await writeFile(join(dirs.sigterm, 's.yaml'), ['jobs:', '  - name: big', '    cron: "* * * * * *"', '    containers: [app]', `    repository: ${repo}`, ''].join('\n'));
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('retention after each run keeps exactly the newest backup of each container; prune drops the rest', async () => {
    const first = JSON.parse(await sc.ok(['schedule', 'run-now', 'nightly', '--schedules', dirs.backups, '--json'])) as { result: string; backupIds: string[] };
    assert.equal(first.result, 'success');
    assert.equal(first.backupIds.length, 2);
    assert.deepEqual(await refs(), [...first.backupIds].sort());
    const packsAfterFirst = await files(join(sc.path, 'data'));
    await writeVolume(sc.s.root, 'appdata', [{ path: 'f0.txt', text: 'changed\n' }]);
    const second = JSON.parse(await sc.ok(['schedule', 'run-now', 'nightly', '--schedules', dirs.backups, '--json'])) as { result: string; backupIds: string[]; retention: { kept: unknown[]; removed: Array<{ group: string; id: string }> } };
    assert.equal(second.result, 'success');
    assert.deepEqual(await refs(), [...second.backupIds].sort(), 'only the newest backup of each container is left');
    assert.deepEqual(second.retention.removed.map((r) => r.id).sort(), [...first.backupIds].sort(), 'exactly the older ones were forgotten');
    assert.deepEqual(second.retention.removed.map((r) => r.group).sort(), ['app', 'broken']);
    assert.ok((await files(join(sc.path, 'data'))).length <= packsAfterFirst.length + 1, 'prune dropped what only the old backups needed');
    await sc.ok(['repo', 'check', sc.url, '--read-data', ...sc.ssh]);
    const runs = await history('nightly');
    assert.deepEqual(runs.map((r) => `${r.result} ${r.trigger}`), ['success manual', 'success manual']);
  });

  test('a drill fired on its cron line catches the broken backup and alerts; the good one passes', async () => {
    const hook = await webhookReceiver(t);
    const repo = `{ url: "${sc.url}", identity: "${sc.sshd!.key}", knownHosts: "${sc.sshd!.knownHosts}" }`;
    await writeFile(join(dirs.drills, 'd.yaml'), ['jobs:', '  - name: drill', '    cron: "*/2 * * * * *"', `    drill: { containers: [app, broken], repository: ${repo}, verifyTime: 2s }`, `    notify: { webhook: "${hook.url}", on: failure }`, ''].join('\n'));
    const s = startScheduler(t, { root: sc.s.root, schedules: dirs.drills });
    await s.waitForLine(/job drill: failure/, 60_000);
    assert.equal((await s.stop('SIGTERM')).code, 0);
    while (hook.posts.length === 0) await new Promise((r) => setTimeout(r, 50));
    const alert = hook.posts[0]!.body;
    assert.equal(alert.job, 'drill');
    assert.equal(alert.result, 'failure');
    assert.match(String(alert.error), /^broken: restored backup [0-9a-f]{12} did not pass: did not start: .*no\/such\/command/);
    assert.doesNotMatch(String(alert.error), /app:/, 'the good backup passed');
    assert.equal((alert.backupIds as string[]).length, 1, 'the backup that passed is named');
    assert.ok(s.lines.some((l) => /drill app: backup [0-9a-f]{12} .*: started \(/.test(l)), s.lines.join('\n'));
    const names = (await sc.s.ps()).map((c) => c.Names);
    assert.deepEqual(names.sort(), ['app', 'broken'], 'no sandbox is left behind');
  });

  test('SIGTERM while a backup uploads cancels it at a safe point; repository and store stay consistent', async () => {
    // Big enough (eight ~16 MiB packs) that SIGTERM after the first new pack always lands mid-upload,
    // even on a quiet machine where SFTP runs at full speed.
    await writeVolume(sc.s.root, 'appdata', Array.from({ length: 32 }, (_, i) => ({ path: `big/r${i}.bin`, random: 4 * MiB })));
    const refsBefore = await refs();
    const packsBefore = new Set(await files(join(sc.path, 'data')));
    const s = startScheduler(t, { root: sc.s.root, schedules: dirs.sigterm, args: ['--grace', '0'] });
    await s.waitForLine(/job big: started/);
    const deadline = Date.now() + 30_000;
    while (!(await files(join(sc.path, 'data'))).some((f) => !packsBefore.has(f))) {
      assert.ok(Date.now() < deadline, 'no pack was uploaded');
      await new Promise((r) => setTimeout(r, 10));
    }
    const stopped = await s.stop('SIGTERM');
    assert.equal(stopped.code, 0, s.lines.join('\n'));
    assert.ok(stopped.ms < 15_000, `stopped in ${stopped.ms} ms`);
    assert.ok(s.lines.some((l) => /grace period over: cancelling 1 run\(s\) at their next safe point: big/.test(l)), s.lines.join('\n'));
    const run = (await history('big')).find((r) => r.result !== 'skipped'); // fires while it ran were overlaps
    assert.equal(run?.result, 'cancelled', JSON.stringify(run));
    assert.deepEqual(await refs(), refsBefore, 'a cut backup leaves no ref');
    await sc.ok(['repo', 'check', sc.url, ...sc.ssh]);
    assert.equal((await sc.s.inspect('app')).State.Status, 'running', 'the container was resumed');
    const again = JSON.parse(await sc.ok(['schedule', 'run-now', 'big', '--schedules', dirs.sigterm, '--json'])) as { result: string; backupIds: string[] };
    assert.equal(again.result, 'success');
    assert.deepEqual(await refs(), [...refsBefore, ...again.backupIds].sort());
    await sc.ok(['repo', 'check', sc.url, '--read-data', ...sc.ssh]);
  });

  // A backup cut after its volume snapshot was taken must not leave that snapshot's local ref: the
  // files it reused from the held parent have their chunks only in the repository. Refs are
  // written only after the push (takeSnapshot writeRef: false), so the check is clean.
  test('after the cut backup the local store is clean too', async () => {
    const check = await sc.s.cli(['system', 'check']);
    assert.equal(check.code, 0, `${check.stdout}${check.stderr}${await sc.ok(['volume', 'snapshots', 'appdata'])}`);
  });
});
