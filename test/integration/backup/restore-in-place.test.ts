/**
 * A restore from a LOCAL repository reads file chunks straight out of the repository's packs
 * (restore-fetch.ts) instead of copying them into a scratch store first. What that must not cost:
 * the data comes back bit for bit (sparse file, hardlinks, many small files); a damaged chunk in a
 * pack fails the restore with exit 6 and leaves no container or volume behind, and the repository
 * is only read: the damaged pack is neither moved nor rewritten; `verify` of that backup records a
 * verdict that says it could not be restored.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { link, open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backupScene, inspectBackup, writeVolume, type BackupScene } from '../../helpers/backup-scene.js';
import { needs } from '../../helpers/requirements.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The pack holding `needle` verbatim (random data is stored raw), and where. */
async function findInPacks(repo: string, needle: Buffer): Promise<{ path: string; at: number }> {
  for (const sub of await readdir(join(repo, 'data'))) {
    for (const f of await readdir(join(repo, 'data', sub))) {
      const path = join(repo, 'data', sub, f);
      const at = (await readFile(path)).indexOf(needle);
      if (at >= 0) return { path, at };
    }
  }
  throw new Error('no pack holds the bytes');
}

describe('restore from a local repository, chunks read in place', { skip: needs({ root: true, commands: ['unshare'] }), concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  let sc: BackupScene;
  let id: string;
  const vol = (name: string, path = '') => join(sc.s.root, 'volumes', name, '_data', path);
  before(async () => {
    sc = await backupScene({ after: (fn) => cleanups.push(fn) }, { sftp: false });
    await sc.ok(['volume', 'create', 'vol']);
    await writeVolume(sc.s.root, 'vol', [
      { path: 'big.bin', random: 3 * 1024 * 1024 },
      ...Array.from({ length: 300 }, (_, i) => ({ path: `small/d${i % 7}/f${i}.txt`, text: `line ${i}\n`.repeat(1 + (i % 40)) })),
    ]);
    const fh = await open(vol('vol', 'sparse.img'), 'w');
    await fh.write(Buffer.from('tail'), 0, 4, 64 * 1024 * 1024);
    await fh.close();
    await link(vol('vol', 'small/d0/f0.txt'), vol('vol', 'hardlink.txt'));
    await sc.ok(['run', '-d', '--name', 'c1', '-v', 'vol:/data', sc.s.image, 'sleep', '600']);
    id = (JSON.parse(await sc.ok(['backup', 'c1', '--to', sc.url, '--json'])) as Array<{ id: string }>)[0]!.id;
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('the data comes back bit for bit: sparse file still sparse, hardlink still one inode', async () => {
    await sc.ok(['restore', id, '--from', sc.url, '--name', 'c2', '--volume', 'vol=vol2']);
    const walk = async (root: string, at = ''): Promise<string[]> => {
      const lines: string[] = [];
      for (const name of (await readdir(join(root, at))).sort()) {
        const p = join(root, at, name);
        const st = await stat(p);
        if (st.isDirectory()) lines.push(`${at}${name}/ ${st.mode}`, ...(await walk(root, `${at}${name}/`)));
        else lines.push(`${at}${name} ${st.mode} ${st.size} ${sha(await readFile(p))}`);
      }
      return lines;
    };
    assert.deepEqual(await walk(vol('vol2')), await walk(vol('vol')));
    const sparse = await stat(vol('vol2', 'sparse.img'));
    assert.ok(sparse.blocks * 512 < 1024 * 1024, `sparse.img takes ${sparse.blocks * 512} bytes on disk`);
    assert.equal((await stat(vol('vol2', 'hardlink.txt'))).ino, (await stat(vol('vol2', 'small/d0/f0.txt'))).ino);
    await sc.ok(['rm', '-f', 'c2']);
    await sc.ok(['volume', 'rm', 'vol2']);
  });

  test('a damaged chunk in a local pack: exit 6, nothing left behind, the pack is not touched', async () => {
    const needle = (await readFile(vol('vol', 'big.bin'))).subarray(1024 * 1024, 1024 * 1024 + 64);
    const hit = await findInPacks(sc.path, needle);
    const fh = await open(hit.path, 'r+');
    await fh.write(Buffer.from([0xa5, 0x5a, 0xa5]), 0, 3, hit.at + 10);
    await fh.close();
    const damaged = sha(await readFile(hit.path));
    const r = await sc.s.cli(['restore', id, '--from', sc.url, '--name', 'c3', '--volume', 'vol=vol3', '--json']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /sha256|digest|decompress/i);
    assert.ok(!(await sc.s.ps()).some((c) => c.Names === 'c3'), 'no container was made');
    assert.ok(!(await sc.ok(['volume', 'ls', '-q'])).split('\n').includes('vol3'), 'no volume was made');
    assert.equal(sha(await readFile(hit.path)), damaged, 'the repository was only read');

    const v = await sc.s.cli(['verify', id, '--repo', sc.url, '--verify-time', '1s', '--json']);
    assert.equal(v.code, 6, v.stderr);
    const verdicts = (await inspectBackup(sc, id)).Verifications;
    assert.ok(verdicts.some((x) => !x.passed && /could not be restored/.test(x.reason)), JSON.stringify(verdicts));
    assert.ok(!(await sc.ok(['volume', 'ls', '-q'])).includes('lbverify'), 'the sandbox volumes are gone');
  });
});
