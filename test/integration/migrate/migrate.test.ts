/**
 * Migration for real, between two "hosts" (network namespaces joined by a veth pair, sshd in the
 * target's, a Lifeboat store on each side; every client inside the source's namespace):
 *
 * - a RUNNING container with a volume and a writable-layer change, from an image the target does
 *   not have, moves: it runs on the target with its data and its change, the source is left
 *   stopped, the temporary repository is gone on the target, the source store forgot the
 *   migration's snapshot refs, and what went over the wire is close to what the target lacked;
 * - a second, similar container (same image, new volume data) sends only the new blobs: not the
 *   image again (asserted in bytes);
 * - --rm-source removes the source container once the target is verified.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeVolume } from '../../helpers/backup-scene.js';
import { migrateHosts, type MigrateHosts } from '../../helpers/migrate-hosts.js';
import { needs } from '../../helpers/requirements.js';
import { netnsUnavailable } from '../../helpers/netns.js';
import { waitFor } from '../../helpers/runtime-store.js';
import { SSHD } from '../../helpers/sshd.js';

const skip = needs({ root: true, commands: ['unshare', SSHD, 'ssh-keygen', 'ip', 'tc'] }) ?? netnsUnavailable();
const KiB = 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Round {
  kind: string;
  sentBytes: number;
  addedBytes: number;
}
interface MigrationJson {
  outcome: string;
  target: { container: string; name: string };
  preflight: { lacked: { image: number; data: number; total: number }; imageBlobsPresent: number };
  rounds: Round[];
  downtimeMs: number;
  verifiedAfterMs: number;
  verification: { passed: boolean; reason: string };
  source: string;
  bytes: { sent: number; added: number; lacked: number };
  volumesRestored: Array<{ name: string; patched: boolean }>;
}

describe('migrate over SSH between two hosts', { skip, concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  let h: MigrateHosts;
  let layerBytes = 0;
  before(async () => {
    h = await migrateHosts({ after: (fn) => cleanups.push(fn) });
    // an image the target does not have: the base image plus a 1.5 MiB layer
    const ok = async (args: string[]) => {
      const r = await h.source.cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    await ok(['run', '--name', 'builder', h.source.image, 'sh', '-c', 'head -c 1572864 /dev/urandom > /opt-blob']);
    await ok(['commit', 'builder', 'app:1']);
    await ok(['rm', 'builder']);
    layerBytes = 1572864;
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  const ok = async (args: string[]) => {
    const r = await h.source.cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const onTarget = async (args: string[]) => {
    const r = await h.onTarget(args);
    assert.equal(r.code, 0, `target: ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const startApp = async (name: string, volume: string, randomKiB: number) => {
    await ok(['volume', 'create', volume]);
    await writeVolume(h.source.root, volume, [{ path: 'big.bin', random: randomKiB * KiB }, { path: 'conf/db.txt', text: `${name} v1\n` }]);
    await ok(['run', '-d', '--name', name, '-v', `${volume}:/data`, 'app:1', 'sh', '-c', `echo changed-${name} > /etc/motd; rm /bin/vi; trap 'exit 0' TERM; sleep 600 & wait`]);
    await waitFor('the container to write its change', async () => (await h.source.cli(['exec', name, 'cat', '/etc/motd'])).stdout === `changed-${name}\n`);
  };
  const migrate = async (name: string, ...extra: string[]) => {
    const r = await h.migrate([name, h.url, ...h.flags, '--verify-time', '1s', '--json', ...extra]);
    assert.equal(r.code, 0, `migrate ${name} exited ${r.code}:\n${r.stderr}`);
    return JSON.parse(r.stdout) as MigrationJson;
  };

  test('a running container with a volume and a writable-layer change moves and runs there', async () => {
    await startApp('app', 'appdata', 2048);
    // written while the pre-copy may run: it must arrive (the final round takes it)
    await writeVolume(h.source.root, 'appdata', [{ path: 'conf/db.txt', text: 'app v2\n' }]);
    const bigSha = sha(await readFile(join(h.source.root, 'volumes', 'appdata', '_data', 'big.bin')));
    const m = await migrate('app');

    assert.equal(m.outcome, 'migrated');
    assert.equal(m.verification.passed, true, m.verification.reason);
    assert.ok(m.downtimeMs > 0 && m.downtimeMs < m.verifiedAfterMs, `downtime ${m.downtimeMs} ms, verified after ${m.verifiedAfterMs} ms`);
    assert.equal(m.rounds.at(-1)!.kind, 'final');
    assert.ok(m.preflight.lacked.image >= layerBytes, 'the target lacked the app layer');
    assert.ok(m.bytes.sent >= layerBytes + 2048 * KiB, `sent ${m.bytes.sent}`);
    assert.ok(m.bytes.sent <= m.bytes.lacked * 1.1 + 64 * KiB, `sent ${m.bytes.sent} for ${m.bytes.lacked} lacked`);
    assert.equal(m.source, 'stopped');
    assert.deepEqual(m.volumesRestored.map((v) => [v.name, v.patched]), [['appdata', true]], 'the cut-over patched the volume staged after the pre-copy');

    const ps = JSON.parse(await onTarget(['ps', '-a', '--json'])) as Array<{ Names: string; State: string }>;
    assert.deepEqual(ps.map((c) => [c.Names, c.State]), [['app', 'running']]);
    assert.equal(await onTarget(['exec', 'app', 'cat', '/etc/motd']), 'changed-app\n', 'the writable-layer change is there');
    assert.notEqual((await h.onTarget(['exec', 'app', 'ls', '/bin/vi'])).code, 0, 'the deletion is there too');
    assert.equal(await onTarget(['exec', 'app', 'cat', '/data/conf/db.txt']), 'app v2\n');
    assert.equal(sha(await readFile(join(h.targetRoot, 'volumes', 'appdata', '_data', 'big.bin'))), bigSha);

    assert.equal((await h.source.inspect('app')).State.Status, 'exited', 'the source is left stopped');
    assert.deepEqual(await readdir(join(h.targetRoot, 'migrate')).catch(() => []), [], 'the temporary repository is gone');
    const snaps = JSON.parse(await ok(['volume', 'snapshots', 'appdata', '--json'])) as unknown[];
    assert.equal(snaps.length, 0, 'the source forgot the snapshots held in the temporary repository');
  });

  test('a second, similar container sends only the new blobs', async () => {
    await startApp('app2', 'appdata2', 512);
    const m = await migrate('app2', '--rm-source');
    assert.equal(m.preflight.lacked.image, 0, 'the target has the image now');
    assert.ok(m.preflight.imageBlobsPresent >= 3);
    const sent = m.bytes.sent;
    assert.ok(sent >= 512 * KiB, `sent ${sent}: the new volume data`);
    assert.ok(sent < 512 * KiB + 256 * KiB, `sent ${sent}: not the ${layerBytes}-byte image layer again`);
    assert.equal(m.source, 'removed');
    assert.equal((await h.source.cli(['inspect', '--type', 'container', 'app2'])).code, 3, 'the source container is gone');
    assert.equal(await onTarget(['exec', 'app2', 'cat', '/data/conf/db.txt']), 'app2 v1\n');
  });

  test('a container that fails verification on the target is rolled back: the paused source goes on, the target is as it was', async () => {
    await ok(['volume', 'create', 'faildata']);
    await writeVolume(h.source.root, 'faildata', [{ path: 'x.txt', text: 'x\n' }]);
    await ok(['run', '-d', '--name', 'flaky', '-v', 'faildata:/data', 'app:1', 'sh', '-c', `[ "$FAIL" = 1 ] && exit 3; trap 'exit 0' TERM; sleep 600 & wait`]);
    const images = await onTarget(['images', '--json']);
    const volumes = await onTarget(['volume', 'ls', '--json']);
    const r = await h.migrate(['flaky', h.url, ...h.flags, '--json', '--verify-time', '1s', '--cutover', 'pause', '-e', 'FAIL=1']);
    assert.equal(r.code, 8, r.stderr);
    const e = JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { error: string; message: string; rollback: { source: string; target: { container?: string } } };
    assert.equal(e.error, 'VERIFY_FAILED');
    assert.match(e.message, /exited with code 3/);
    assert.equal(e.rollback.source, 'unpaused');
    assert.ok(e.rollback.target.container, 'the restored container was removed on the target');
    assert.equal((await h.source.inspect('flaky')).State.Status, 'running', 'the source runs on, unpaused');
    assert.equal((await h.onTarget(['inspect', '--type', 'container', 'flaky'])).code, 3);
    assert.equal(await onTarget(['images', '--json']), images, 'the image the target had stays');
    assert.equal(await onTarget(['volume', 'ls', '--json']), volumes, 'the restored volume is gone');
    assert.deepEqual(await readdir(join(h.targetRoot, 'migrate')), []);
  });
});
