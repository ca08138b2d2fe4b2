/**
 * The whole round trip through the real CLI, against a real sshd on loopback: a RUNNING container
 * with a volume, a health check and writable-layer changes is backed up (paused only while read);
 * the local store keeps the snapshot's trees but none of its chunks; a second backup after a small
 * change sends little and reuses unchanged files unread; container, volume and image are
 * destroyed (and collected) and the restore brings the data and the writable-layer changes back;
 * verify passes for it and fails with the reason (exit 8) for a backup whose command is broken.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backupScene, inspectBackup, localChunks, writeVolume, type BackupScene } from '../../helpers/backup-scene.js';
import { needs } from '../../helpers/requirements.js';
import { waitFor } from '../../helpers/runtime-store.js';
import { SSHD } from '../../helpers/sshd.js';

interface BackupJson {
  id: string;
  stats: { bytes: number; files: number; unchangedFiles: number; heldMs: number };
  sent: { bytes: number; storedBytes: number };
  released: { blobs: number; bytes: number };
}

const KiB = 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('backup and restore over SFTP', { skip: needs({ root: true, commands: ['unshare', SSHD, 'ssh-keygen'] }), concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  let sc: BackupScene;
  let second: BackupJson;
  let bigSha: string;
  let firstSnapshot = '';
  before(async () => {
    sc = await backupScene({ after: (fn) => cleanups.push(fn) }, { sftp: true });
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  const backup = async (name: string, ...extra: string[]) => (JSON.parse(await sc.ok(['backup', name, '--to', sc.url, '--json', ...sc.ssh, ...extra])) as BackupJson[])[0]!;
  const exec = async (name: string, cmd: string) => (await sc.s.cli(['exec', name, 'sh', '-c', cmd])).stdout;

  test('a running container is backed up; the store keeps the snapshot trees, not its chunks', async () => {
    await sc.ok(['volume', 'create', 'appdata']);
    const files = Array.from({ length: 40 }, (_, i) => ({ path: `small/f${i}.txt`, text: `file ${i}\n`.repeat(50) }));
    await writeVolume(sc.s.root, 'appdata', [...files, { path: 'big.bin', random: 2048 * KiB }, { path: 'db.txt', text: 'version 1\n' }]);
    bigSha = sha(await readFile(join(sc.s.root, 'volumes', 'appdata', '_data', 'big.bin')));
    await sc.ok([
      'run', '-d', '--name', 'app', '-v', 'appdata:/data', '-e', 'MODE=prod', '-p', '8080:80', '--restart', 'on-failure:3', '--label', 'tier=db',
      '--health-cmd', 'test -f /data/db.txt', '--health-interval', '1s',
      sc.s.image, 'sh', '-c', 'echo changed > /etc/motd; rm /bin/vi; mkdir -p /srv; echo ready > /srv/ready; exec sleep 600',
    ]);
    await waitFor('the container to write its files', async () => (await exec('app', 'cat /srv/ready')) === 'ready\n');

    const first = await backup('app', '--tag', 'nightly');
    assert.match(first.id, /^[0-9a-f]{64}$/);
    assert.ok(first.sent.bytes >= 2048 * KiB, `sent ${first.sent.bytes}`);
    assert.ok(first.stats.heldMs > 0, 'the running container was paused while read');
    const rec = (await inspectBackup(sc, first.id)).Record;
    assert.equal(rec.container.name, 'app');
    assert.deepEqual(rec.tags, ['nightly']);
    assert.ok(rec.writableLayer && rec.writableLayer.entries > 0, 'the writable layer is in the backup');
    assert.equal(rec.volumes[0]!.name, 'appdata');
    firstSnapshot = rec.volumes[0]!.snapshot.digest;
    assert.equal((await sc.s.inspect('app')).State.Status, 'running', 'resumed after the backup');

    const chunks = await localChunks(sc.s.root, rec.volumes[0]!.snapshot);
    assert.equal(chunks.present, 0, 'no volume chunk stays in the local store');
    assert.ok(chunks.absent > 0 && chunks.trees > 0);
    const check = await sc.s.cli(['system', 'check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /keep their file chunks in repository/);
  });

  test('a second backup after a small change sends little and reads unchanged files from nowhere', async () => {
    await writeVolume(sc.s.root, 'appdata', [{ path: 'db.txt', text: 'version 2\n' }]);
    second = await backup('app');
    assert.ok(second.sent.bytes < 64 * KiB, `sent ${second.sent.bytes} bytes for a 10-byte change`);
    assert.equal(second.stats.unchangedFiles, second.stats.files - 1, 'every file but db.txt reused its chunk list unread');
    const rec = (await inspectBackup(sc, second.id)).Record;
    assert.equal((await localChunks(sc.s.root, rec.volumes[0]!.snapshot)).present, 0);
    // The first snapshot's record and the root tree the change replaced leave the store (the
    // mark skips the new snapshot's own blobs); everything the new one needs stays.
    assert.ok(second.released.blobs >= 2, `released ${second.released.blobs} blobs`);
    assert.equal(existsSync(join(sc.s.root, 'blobs', 'sha256', firstSnapshot.slice(7))), false, 'the first snapshot record is gone');
    const check = await sc.s.cli(['system', 'check']);
    assert.equal(check.code, 0, check.stdout + check.stderr);
  });

  test('with container, volume and image gone, restore brings data, config and writable layer back', async () => {
    await sc.ok(['rm', '-f', 'app']);
    await sc.ok(['volume', 'rm', 'appdata']);
    await sc.ok(['rmi', sc.s.image]);
    await sc.ok(['system', 'gc']);
    assert.deepEqual(JSON.parse(await sc.ok(['images', '--json'])), []);

    const r = JSON.parse(await sc.ok(['restore', second.id.slice(0, 8), '--from', sc.url, '--start', '--json', ...sc.ssh])) as { container: { name: string } };
    assert.equal(r.container.name, 'app');
    await waitFor('the restored container to run', async () => (await sc.s.inspect('app')).State.Running);
    assert.equal(await exec('app', 'cat /data/db.txt /etc/motd /srv/ready; echo $MODE'), 'version 2\nchanged\nready\nprod\n');
    assert.equal((await sc.s.cli(['exec', 'app', 'ls', '/bin/vi'])).code !== 0, true, 'the deletion in the writable layer is restored too');
    assert.equal(sha(await readFile(join(sc.s.root, 'volumes', 'appdata', '_data', 'big.bin'))), bigSha);
    const ins = JSON.parse(await sc.ok(['inspect', '--type', 'container', 'app'])) as Array<{ Config: { Labels: Record<string, string> }; HostConfig: { RestartPolicy: { Name: string; MaximumRetryCount: number } } }>;
    assert.equal(ins[0]!.Config.Labels.tier, 'db');
    assert.deepEqual(ins[0]!.HostConfig.RestartPolicy, { Name: 'on-failure', MaximumRetryCount: 3 });
    await waitFor('the health check to pass', async () => (await sc.s.inspect('app')).State.Health?.Status === 'healthy');
    assert.ok((await sc.ok(['images'])).includes('lifeboat-base'), 'the image is back under its name');
  });

  test('restore refuses a container or volume that exists (exit 4); remaps (after --verify) restore beside them', async () => {
    const again = await sc.s.cli(['restore', second.id, '--from', sc.url, ...sc.ssh]);
    assert.equal(again.code, 4, again.stderr);
    const volumeTaken = await sc.s.cli(['restore', second.id, '--from', sc.url, '--name', 'app2', ...sc.ssh]);
    assert.equal(volumeTaken.code, 4, volumeTaken.stderr);
    assert.match(volumeTaken.stderr, /volume appdata exists/);
    assert.ok(!(await sc.s.ps()).some((c) => c.Names === 'app2'), 'nothing half-created');
    const r = JSON.parse(await sc.ok(['restore', second.id, '--from', sc.url, '--name', 'app2', '--volume', 'appdata=appdata2', '-p', '9090:80', '-e', 'MODE=test', '--verify', '--verify-time', '1s', '--start', '--json', ...sc.ssh])) as { verification: { passed: boolean } };
    assert.equal(r.verification.passed, true, 'proven in a sandbox before the real restore');
    await waitFor('app2 to run', async () => (await sc.s.inspect('app2')).State.Running);
    assert.equal(await exec('app2', 'cat /data/db.txt; echo $MODE'), 'version 2\ntest\n');
    const ports = (JSON.parse(await sc.ok(['inspect', '--type', 'container', 'app2'])) as Array<{ Lifeboat: { Ports: string[] } }>)[0]!.Lifeboat.Ports;
    assert.deepEqual(ports, ['0.0.0.0:9090->80/tcp']);
    await sc.ok(['rm', '-f', 'app2']);
  });

  test('verify passes for a good backup, records the verdict, and leaves no sandbox behind', async () => {
    const before = (await sc.s.ps()).length;
    const v = JSON.parse(await sc.ok(['verify', second.id, '--repo', sc.url, '--verify-time', '3s', '--json', ...sc.ssh])) as { passed: boolean; reason: string; health: string };
    assert.equal(v.passed, true, v.reason);
    assert.equal(v.health, 'healthy');
    assert.equal((await sc.s.ps()).length, before, 'the sandbox container is gone');
    assert.ok(!(await sc.ok(['volume', 'ls', '-q'])).includes('lbverify'), 'the sandbox volumes are gone');
    const listed = JSON.parse(await sc.ok(['backups', '--repo', sc.url, '--json', ...sc.ssh])) as Array<{ id: string; verified?: { passed: boolean } }>;
    assert.equal(listed.find((b) => b.id === second.id)?.verified?.passed, true);
  });

  test('verify fails with the reason and exit 8 for a backup whose command is broken', async () => {
    await sc.ok(['create', '--name', 'broken', sc.s.image, '/bin/no-such-command']);
    const b = await backup('broken');
    const r = await sc.s.cli(['verify', b.id, '--repo', sc.url, '--verify-time', '2s', '--json', ...sc.ssh]);
    assert.equal(r.code, 8, r.stdout + r.stderr);
    const v = JSON.parse(r.stdout) as { passed: boolean; reason: string };
    assert.equal(v.passed, false);
    assert.match(v.reason, /no-such-command|not found|127/);
    assert.equal((JSON.parse(r.stderr) as { error: string }).error, 'VERIFY_FAILED');
    assert.equal((await inspectBackup(sc, b.id)).Verifications.at(-1)?.passed, false, 'the verdict is in the repository');
  });
});
