/**
 * The link between the hosts taken down during a migration (`ip link set ... down` on the target's
 * end of the veth pair, with a tbf rate limit so the transfer takes seconds):
 *
 * - down for a few seconds during the pre-copy, then up: the round is run again once the link is
 *   back, the packs that arrived whole are adopted instead of sent again (less goes over the wire
 *   in all than the target lacked), and the migration completes with the data intact;
 * - down at the cut-over and kept down past --link-timeout: the migration rolls back; the source
 *   is running again, and once the link is back the target is cleaned up: no container, no
 *   volume, no temporary repository left there (exit 13).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { writeVolume } from '../../helpers/backup-scene.js';
import { migrateHosts, type MigrateHosts } from '../../helpers/migrate-hosts.js';
import { netnsUnavailable } from '../../helpers/netns.js';
import { needs } from '../../helpers/requirements.js';
import { SSHD } from '../../helpers/sshd.js';

const skip = needs({ root: true, commands: ['unshare', SSHD, 'ssh-keygen', 'ip', 'tc'] }) ?? netnsUnavailable();
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A running container with `files` random files of `kib` KiB in its volume; the first one's hash. */
async function scene(h: MigrateHosts, files: number, kib: number): Promise<string> {
  const ok = async (args: string[]) => {
    const r = await h.source.cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  };
  await ok(['volume', 'create', 'appdata']);
  await writeVolume(h.source.root, 'appdata', Array.from({ length: files }, (_, i) => ({ path: `part${i}.bin`, random: kib * 1024 })));
  await ok(['run', '-d', '--name', 'app', '-v', 'appdata:/data', h.source.image, 'sh', '-c', "trap 'exit 0' TERM; sleep 600 & wait"]);
  return sha(await readFile(join(h.source.root, 'volumes', 'appdata', '_data', 'part0.bin')));
}

/** Complete packs (not temp files) in any migration's temporary repository under `root`. */
async function packsArrived(root: string): Promise<number> {
  let n = 0;
  for (const id of await readdir(join(root, 'migrate')).catch(() => [] as string[])) {
    const data = join(root, 'migrate', id, 'repo', 'data');
    for (const sub of await readdir(data).catch(() => [] as string[])) n += (await readdir(join(data, sub)).catch(() => [] as string[])).filter((f) => !f.startsWith('.')).length;
  }
  return n;
}

describe('migration over a link that goes down', { skip, concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('a cut during the pre-copy resumes once the link is back, without sending again what arrived', { timeout: 120_000 }, async () => {
    const h = await migrateHosts({ after: (fn) => cleanups.push(fn) });
    const part0 = await scene(h, 48, 100); // small files: several per pack, packs arriving one by one
    h.hosts.rate('8mbit'); // ~1 MB/s: the 4.9 MB pre-copy takes ~5 s
    // cut the link once two packs have arrived whole in the temporary repository on the target
    const cut = (async () => {
      for (const deadline = Date.now() + 60_000; (await packsArrived(h.targetRoot)) < 2; await sleep(50)) if (Date.now() > deadline) return;
      h.hosts.cut();
      await sleep(6000); // longer than the keepalives take to declare the link dead
      await h.hosts.restore(h.sshd.port);
    })();
    const r = await h.migrate(['app', h.url, ...h.flags, '--json', '--verify-time', '1s', '--pack-size', '256k', '--link-timeout', '12s']);
    await cut;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /lost the link/);
    assert.match(r.stderr, /the link is back; resuming/);
    const m = JSON.parse(r.stdout) as { bytes: { sent: number; lacked: number }; verification: { passed: boolean } };
    assert.equal(m.verification.passed, true);
    assert.ok(m.bytes.sent < m.bytes.lacked, r.stderr + `sent ${m.bytes.sent} after the cut, of ${m.bytes.lacked} lacked: what arrived whole was not sent again (adopted, or indexed by the cut-off push)`);
    assert.equal(sha(await readFile(join(h.targetRoot, 'volumes', 'appdata', '_data', 'part0.bin'))), part0);
    assert.deepEqual(await readdir(join(h.targetRoot, 'migrate')), []);
  });

  test('a link down at the cut-over for longer than --link-timeout rolls back: the source runs again, the target is left clean', { timeout: 120_000 }, async () => {
    const h = await migrateHosts({ after: (fn) => cleanups.push(fn) });
    await scene(h, 1, 1024);
    const before = JSON.parse((await h.onTarget(['images', '--json'])).stdout) as unknown[];
    let restored: Promise<void> | undefined;
    const r = await h.migrate(['app', h.url, ...h.flags, '--json', '--verify-time', '1s', '--link-timeout', '3s'], {
      onStderr: (line) => {
        if (line.startsWith('Cut-over:')) h.hosts.cut();
        if (!restored && /rolling back/.test(line)) restored = sleep(1000).then(() => h.hosts.restore(h.sshd.port));
      },
    });
    await restored;
    assert.equal(r.code, 13, r.stderr);
    const e = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { message: string; rollback: { source: string; target?: unknown } };
    assert.equal(e.rollback.source, 'restarted', e.message);
    assert.ok(e.rollback.target, `the target was cleaned up: ${e.message}`);
    assert.match(e.message, /rolled back: the source was restarted, nothing is left on the target/);

    assert.equal((await h.source.inspect('app')).State.Status, 'running', 'the source runs again');
    assert.deepEqual(JSON.parse((await h.onTarget(['ps', '-a', '--json'])).stdout), [], 'no container on the target');
    assert.deepEqual(JSON.parse((await h.onTarget(['volume', 'ls', '--json'])).stdout), [], 'no volume on the target');
    assert.deepEqual(JSON.parse((await h.onTarget(['images', '--json'])).stdout), before, 'the images are as they were');
    assert.deepEqual(await readdir(join(h.targetRoot, 'migrate')).catch(() => []), [], 'no temporary repository');
  });
});
