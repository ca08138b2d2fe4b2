/**
 * Each way a backup or restore can be refused gives its own error and exit status, and changes
 * nothing: a host key that does not match known_hosts (12), no repository at the location (10),
 * an unknown backup (3), an ambiguous ID prefix (4 needs two backups: covered by the unit tests of
 * resolveBackup's rule), and a corrupt pack met on restore (6) with no container or volume left
 * half-made. A container's `--exec-before` hook that fails aborts the backup before anything is
 * held or sent (7).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backupScene, writeVolume, type BackupScene } from '../../helpers/backup-scene.js';
import { needs } from '../../helpers/requirements.js';
import { SSHD } from '../../helpers/sshd.js';
import { tempDir } from '../../helpers/tmp.js';

describe('backup errors', { skip: needs({ root: true, commands: ['unshare', SSHD, 'ssh-keygen'] }), concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  const t = { after: (fn: () => unknown) => cleanups.push(fn) };
  let sc: BackupScene;
  before(async () => {
    sc = await backupScene(t, { sftp: true });
    await sc.ok(['volume', 'create', 'vol']);
    await writeVolume(sc.s.root, 'vol', [{ path: 'data.bin', random: 600 * 1024 }, { path: 'note.txt', text: 'hello\n' }]);
    await sc.ok(['run', '-d', '--name', 'c1', '-v', 'vol:/data', sc.s.image, 'sleep', '600']);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('a host key that does not match known_hosts is refused with exit 12, before anything is read', async () => {
    const dir = await tempDir(t);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'other')]);
    const pub = (await readFile(join(dir, 'other.pub'), 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const known = join(dir, 'known_hosts');
    await writeFile(known, `[${sc.sshd!.host}]:${sc.sshd!.port} ${pub}\n`);
    const r = await sc.s.cli(['backup', 'c1', '--to', sc.url, '-i', sc.sshd!.key, '--known-hosts', known, '--json']);
    assert.equal(r.code, 12, r.stderr);
    assert.equal((await sc.s.ps())[0]!.State, 'running');
    assert.equal(await sc.ok(['volume', 'snapshots', '-q']), '', 'no snapshot was taken');
  });

  test('no repository at the location: exit 10 for backup, backups, restore and verify', async () => {
    const nowhere = join(await tempDir(t), 'none');
    const sftpNowhere = sc.sshd!.url(nowhere);
    for (const args of [
      ['backup', 'c1', '--to', nowhere],
      ['backup', 'c1', '--to', sftpNowhere, ...sc.ssh],
      ['backups', '--repo', nowhere],
      ['restore', 'abcd', '--from', sftpNowhere, ...sc.ssh],
      ['verify', 'abcd', '--repo', nowhere],
    ]) {
      const r = await sc.s.cli([...args, '--json']);
      assert.equal(r.code, 10, `${args.join(' ')}: ${r.stderr}`);
      assert.equal((JSON.parse(r.stderr) as { error: string }).error, 'NO_REPOSITORY');
    }
  });

  test('an unknown backup is exit 3; a failing --exec-before aborts the backup with exit 7', async () => {
    assert.equal((await sc.s.cli(['restore', 'abcdef', '--from', sc.url, ...sc.ssh])).code, 3);
    const r = await sc.s.cli(['backup', 'c1', '--to', sc.url, '--exec-before', 'exit 5', ...sc.ssh]);
    assert.equal(r.code, 7, r.stderr);
    assert.match(r.stderr, /--exec-before hook failed/);
    assert.equal((await sc.s.ps())[0]!.State, 'running', 'nothing was held');
    assert.equal(JSON.parse(await sc.ok(['backups', '--repo', sc.url, '--json', ...sc.ssh])).length, 0);
  });

  test('a corrupt pack fails the restore with exit 6 and leaves no container or volume behind', async () => {
    const b = (JSON.parse(await sc.ok(['backup', 'c1', '--to', sc.url, '--json', ...sc.ssh])) as Array<{ id: string }>)[0]!;
    let biggest = { path: '', size: 0 };
    for (const sub of await readdir(join(sc.path, 'data'))) {
      for (const f of await readdir(join(sc.path, 'data', sub))) {
        const p = join(sc.path, 'data', sub, f);
        const { size } = await stat(p);
        if (size > biggest.size) biggest = { path: p, size };
      }
    }
    const fh = await open(biggest.path, 'r+');
    await fh.write(Buffer.from([0xa5, 0x5a, 0xa5]), 0, 3, Math.floor(biggest.size / 3));
    await fh.close();
    const r = await sc.s.cli(['restore', b.id, '--from', sc.url, '--name', 'c2', '--volume', 'vol=vol2', '--json', ...sc.ssh]);
    assert.equal(r.code, 6, r.stderr);
    assert.ok(!(await sc.s.ps()).some((c) => c.Names === 'c2'), 'no container was made');
    assert.ok(!(await sc.ok(['volume', 'ls', '-q'])).split('\n').includes('vol2'), 'no volume was made');
    const check = await sc.s.cli(['repo', 'check', sc.url, '--read-data', ...sc.ssh]);
    assert.equal(check.code, 6, 'repo check finds the damage too');
  });
});
