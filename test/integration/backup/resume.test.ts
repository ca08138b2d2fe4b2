/**
 * A backup killed mid-upload (kill -9 of the CLI process, over SFTP to a real sshd) leaves no
 * backup behind; the next run adopts the packs that arrived whole instead of sending them again,
 * writes the backup, `repo check --read-data` finds nothing wrong, and the backup restores byte
 * for byte.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { backupScene, writeVolume, type BackupScene } from '../../helpers/backup-scene.js';
import { BIN } from '../../helpers/cli.js';
import { needs } from '../../helpers/requirements.js';
import { SSHD } from '../../helpers/sshd.js';

const FILES = 300;
const FILE_BYTES = 8 * 1024;

async function packCount(repo: string): Promise<number> {
  let n = 0;
  for (const sub of await readdir(join(repo, 'data')).catch(() => [] as string[])) n += (await readdir(join(repo, 'data', sub)).catch(() => [] as string[])).filter((f) => /^[0-9a-f]{64}$/.test(f)).length;
  return n;
}

/** Runs `lifeboat backup` and SIGKILLs it once `packs` packs are in the repository. */
async function backupKilledAfter(sc: BackupScene, packs: number): Promise<{ signal: string | null; seen: number }> {
  const child = spawn(process.execPath, [BIN, 'backup', 'c1', '--to', sc.url, '--pack-size', '64k', ...sc.ssh], { env: { ...process.env, LIFEBOAT_ROOT: sc.s.root, LIFEBOAT_NO_PROGRESS: '1' }, stdio: 'ignore' });
  const exited = new Promise<string | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let seen = 0;
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    seen = await packCount(sc.path);
    if (seen >= packs) {
      child.kill('SIGKILL');
      break;
    }
    await sleep(5);
  }
  return { signal: await exited, seen };
}

describe('a backup cut by kill -9 resumes', { skip: needs({ root: true, commands: ['unshare', SSHD, 'ssh-keygen'] }), concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  let sc: BackupScene;
  before(async () => {
    sc = await backupScene({ after: (fn) => cleanups.push(fn) }, { sftp: true });
    await sc.ok(['volume', 'create', 'vol']);
    await writeVolume(sc.s.root, 'vol', Array.from({ length: FILES }, (_, i) => ({ path: `d${i % 10}/f${i}.bin`, random: FILE_BYTES })));
    await sc.ok(['run', '-d', '--name', 'c1', '-v', 'vol:/data', sc.s.image, 'sleep', '600']);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('no ref after the kill; the next run adopts what arrived, sends the rest once; read-data check is clean', async () => {
    const cut = await backupKilledAfter(sc, 4);
    assert.equal(cut.signal, 'SIGKILL', 'killed while uploading');
    assert.deepEqual(await readdir(join(sc.path, 'backups')).catch(() => []), [], 'a cut backup leaves no ref');
    assert.equal((await sc.s.inspect('c1')).State.Status, 'running', 'the container runs on');

    const r = (JSON.parse(await sc.ok(['backup', 'c1', '--to', sc.url, '--pack-size', '64k', '--json', ...sc.ssh])) as Array<{ id: string; adopted: { packs: number }; sent: { bytes: number }; skipped: { bytes: number }; stats: { bytes: number } }>)[0]!;
    assert.ok(r.adopted.packs >= cut.seen, `adopted ${r.adopted.packs} packs of the ${cut.seen} that arrived`);
    assert.ok(r.skipped.bytes >= cut.seen * 48 * 1024, `what the adopted packs hold (${r.skipped.bytes} bytes) was not sent again`);
    assert.ok(r.sent.bytes + r.skipped.bytes <= r.stats.bytes + 256 * 1024, `nothing went twice: ${r.sent.bytes} sent + ${r.skipped.bytes} skipped of ${r.stats.bytes}`);

    const check = await sc.s.cli(['repo', 'check', sc.url, '--read-data', '--json', ...sc.ssh]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.deepEqual((JSON.parse(check.stdout) as { problems: string[] }).problems, []);

    await sc.ok(['restore', r.id, '--from', sc.url, '--name', 'c2', '--volume', 'vol=vol2', ...sc.ssh]);
    const digest = async (vol: string) => {
      const h = createHash('sha256');
      for (let i = 0; i < FILES; i++) h.update(await readFile(join(sc.s.root, 'volumes', vol, '_data', `d${i % 10}`, `f${i}.bin`)));
      return h.digest('hex');
    };
    assert.equal(await digest('vol2'), await digest('vol'));
  });
});
