/**
 * The runtime conformance suite: real containers from the tiny base image, through the CLI (as
 * users run it) and through the ops functions. Every executor (unshare, runc, crun) and snapshotter
 * (overlay, copy) runs the same suite from a few lines in its own *.test.ts file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { lstat, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Readable } from 'node:stream';
import { chainIds } from '../../../src/core/hashing.js';
import { writeTar } from '../../../src/diff/tar/tar-writer.js';
import { baseRootfs } from '../../../src/images/base-image.js';
import { importRootfs } from '../../../src/images/import.js';
import { createContainer } from '../../../src/ops/container-create.js';
import { startContainer } from '../../../src/ops/container-start.js';
import { ContainerCgroup } from '../../../src/runtime/cgroups.js';
import { needs } from '../../helpers/requirements.js';
import { cleanupStore, mountsUnder, runtimeStore, waitFor, type RuntimeStore } from '../../helpers/runtime-store.js';

export interface SuiteOptions {
  executor: 'unshare' | 'runc' | 'crun';
  snapshotter: 'overlay' | 'copy';
}

export function runtimeSuite(o: SuiteOptions): void {
  const skip = needs({ root: true, commands: ['unshare', 'nsenter', ...(o.executor === 'unshare' ? [] : [o.executor])] });
  const env = { LIFEBOAT_RUNTIME: o.executor, LIFEBOAT_SNAPSHOTTER: o.snapshotter };
  describe(`runtime (${o.executor}, ${o.snapshotter})`, { skip, concurrency: false }, () => {
    let s: RuntimeStore;
    before(async () => {
      Object.assign(process.env, env); // for the ops-level calls made in this process
      s = await runtimeStore(env);
    });
    after(async () => {
      if (s) await cleanupStore(s.root); // force-removes whatever a failed test left running or mounted
    });

    const run = (args: string[], input?: string) => s.cli(args, input === undefined ? {} : { input });
    // Checks of overlay internals (upper dir, shared unpacked layers) exist only for the overlay
    // snapshotter; the copy snapshotter's run does not register them rather than skip them, so a
    // LIFEBOAT_REQUIRE_ALL run has no skips at all.
    const overlayOnly = (name: string, fn: () => Promise<void>) => (o.snapshotter === 'overlay' ? test(name, fn) : undefined);
    const state = async (name: string) => (await s.ps()).find((r) => r.Names === name);

    test('PID 1 and the hostname inside, in fresh namespaces', async () => {
      const r = await run(['run', '--rm', '--hostname', 'box1', s.image, 'sh', '-c', 'echo $$; hostname; cat /etc/hostname; ls /proc | grep -c "^[0-9]"']);
      assert.equal(r.code, 0, r.stderr);
      const [pid, host, file, procs] = r.stdout.trim().split('\n');
      assert.deepEqual([pid, host, file], ['1', 'box1', 'box1']);
      assert.ok(Number(procs) <= 3, `only the container's processes are visible (${procs})`);
    });

    test('exit codes pass through, and a signal shows as 128+n', async () => {
      assert.equal((await run(['run', '--rm', s.image, 'sh', '-c', 'exit 42'])).code, 42);
      assert.equal((await run(['run', '-d', '--name', 'sig', s.image, 'sleep', '100'])).code, 0);
      assert.equal((await run(['kill', 'sig'])).code, 0);
      const row = await state('sig');
      assert.equal(row?.ExitCode, 137);
      assert.match(row!.Status, /^Exited \(137\) /);
      await run(['rm', 'sig']);
    });

    overlayOnly('a write lands in the upper dir and not in any layer; a deleted lower file leaves a whiteout', async () => {
      const rec = await createContainer(s.images, { image: s.image, args: ['sh', '-c', 'echo hello > /new-file; rm /etc/os-release'], runtime: o.executor });
      const { session } = await startContainer(s.root, rec.id, { attach: true });
      assert.equal((await session!.exited).code, 0);
      session!.detach();
      assert.equal(await readFile(join(rec.rootfs.upperDir, 'new-file'), 'utf8'), 'hello\n');
      const wh = await lstat(join(rec.rootfs.upperDir, 'etc/os-release'));
      assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'whiteout is a char device 0/0');
      for (const hex of await readdir(join(s.root, 'snapshots'))) {
        await assert.rejects(stat(join(s.root, 'snapshots', hex, 'fs', 'new-file')), { code: 'ENOENT' });
      }
      const lower = join(s.root, 'snapshots', rec.rootfs.chain[0]!.slice(7), 'fs', 'etc', 'os-release');
      assert.ok((await stat(lower)).isFile(), 'the layer still has the file');
      assert.deepEqual((await readdir(rec.rootfs.upperDir)).sort(), ['etc', 'new-file'], 'mountpoints never land in upper/');
      await run(['rm', rec.id]);
    });

    overlayOnly('two containers share the unpacked layers (same directory, same inodes)', async () => {
      const a = await run(['run', '--rm', s.image, 'stat', '-c', '%i', '/bin/busybox']);
      const b = await run(['run', '--rm', s.image, 'stat', '-c', '%i', '/bin/busybox']);
      assert.equal(a.code, 0, a.stderr);
      const layers = await readdir(join(s.root, 'snapshots'));
      const host = await stat(join(s.root, 'snapshots', layers.find((l) => /^[0-9a-f]{64}$/.test(l))!, 'fs', 'bin', 'busybox'));
      assert.equal(a.stdout.trim(), String(host.ino));
      assert.equal(b.stdout.trim(), String(host.ino));
    });

    test('a volume write survives rm and shows in the next container; a new volume gets the image content', async () => {
      assert.equal((await run(['run', '--rm', '-v', 'vdata:/data', s.image, 'sh', '-c', 'echo v1 > /data/f'])).code, 0);
      assert.equal(await readFile(join(s.root, 'volumes', 'vdata', '_data', 'f'), 'utf8'), 'v1\n');
      const r = await run(['run', '--rm', '-v', 'vdata:/data:ro', s.image, 'sh', '-c', 'cat /data/f; touch /data/g 2>/dev/null || echo read-only']);
      assert.equal(r.stdout, 'v1\nread-only\n');
      assert.equal((await run(['run', '--rm', '-v', 'etcvol:/etc', s.image, 'true'])).code, 0);
      assert.match(await readFile(join(s.root, 'volumes', 'etcvol', '_data', 'os-release'), 'utf8'), /Lifeboat base/);
    });

    test('stop, pause, unpause, restart and kill report the right states and exit codes', async () => {
      const name = 'life';
      assert.equal((await run(['run', '-d', '--name', name, s.image, 'sh', '-c', 'trap "exit 3" TERM; while :; do sleep 0.1; done'])).code, 0);
      assert.match((await state(name))!.Status, /^Up /);
      assert.equal((await run(['pause', name])).code, 0);
      assert.match((await state(name))!.Status, /^Up .* \(Paused\)$/);
      assert.equal((await s.inspect(name)).State.Paused, true);
      const refused = await run(['exec', name, 'true']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /paused/);
      assert.equal((await run(['unpause', name])).code, 0);
      assert.equal((await state(name))!.State, 'running');
      assert.equal((await run(['stop', '-t', '5', name])).code, 0);
      let row = await state(name);
      assert.equal(row!.State, 'exited');
      assert.match(row!.Status, /^Exited \(3\) /);
      assert.equal((await run(['restart', name])).code, 0);
      assert.equal((await state(name))!.State, 'running');
      assert.equal((await run(['kill', '-s', 'KILL', name])).code, 0);
      row = await state(name);
      assert.equal(row!.ExitCode, 137);
      assert.equal((await run(['kill', name])).code, 4, 'killing a stopped container is a conflict');
      assert.equal((await run(['rm', name])).code, 0);
    });

    test('logs are kept as json lines; --tail, --timestamps and --follow work', async () => {
      assert.equal((await run(['run', '-d', '--name', 'talk', s.image, 'sh', '-c', 'echo a; echo b >&2; sleep 0.5; echo c'])).code, 0);
      const follow = await run(['logs', '-f', 'talk']);
      assert.equal(follow.stdout, 'a\nc\n');
      assert.equal(follow.stderr, 'b\n');
      assert.equal((await run(['logs', '--tail', '1', 'talk'])).stdout, 'c\n');
      assert.match((await run(['logs', '-t', '--tail', '1', 'talk'])).stdout, /^\d{4}-\d\d-\d\dT[\d:.]+Z c\n$/);
      await run(['rm', 'talk']);
    });

    test('exec runs inside the container with its environment; top lists its processes', async () => {
      assert.equal((await run(['run', '-d', '--name', 'ex', '-e', 'FOO=bar', s.image, 'sleep', '100'])).code, 0);
      const r = await run(['exec', '-e', 'X=1', 'ex', 'sh', '-c', 'echo $FOO$X; hostname; exit 7']);
      assert.equal(r.code, 7);
      assert.equal(r.stdout.split('\n')[0], 'bar1');
      const top = await run(['top', 'ex']);
      assert.match(top.stdout, /^UID\s+PID\s+PPID/);
      assert.match(top.stdout, /sleep 100/);
      assert.doesNotMatch(top.stdout, /unshare|runc/);
      assert.equal((await run(['rm', '-f', 'ex'])).code, 0);
    });

    test('kill -9 of the supervisor: ps shows Exited, not Up, and nothing keeps running', async () => {
      const id = (await run(['run', '-d', '--name', 'orphan', s.image, 'sleep', '100'])).stdout.trim();
      const st = JSON.parse(await readFile(join(s.root, 'containers', id, 'state.json'), 'utf8')) as { supervisorPid: number; pid: number };
      process.kill(st.supervisorPid, 'SIGKILL');
      const row = await waitFor('the container to be seen as exited', async () => {
        const r = await state('orphan');
        return r?.State === 'exited' ? r : undefined;
      });
      assert.match(row.Status, /^Exited \((137|255)\)/);
      const gone = await waitFor('the container process to be gone', async () => !readProcState(st.pid) || readProcState(st.pid) === 'Z');
      assert.ok(gone);
      assert.equal((await run(['rm', 'orphan'])).code, 0);
    });

    for (const [label, flags, args, code, message] of [
      ['missing command', [], ['no-such-command'], 127, /executable file not found/],
      ['not executable', [], ['/etc/os-release'], 126, /permission denied/],
      ['bad user', ['-u', 'ghost'], ['true'], 125, /unable to find user ghost/],
      ['bad workdir', ['-w', '/etc/os-release'], ['true'], 125, /working directory/],
    ] as Array<[string, string[], string[], number, RegExp]>) {
      test(`a container that cannot start (${label}) exits ${code} with a clear error and leaves nothing running or mounted`, async () => {
        const name = `bad-${label.replace(/\s/g, '-')}`;
        const r = await run(['run', '--name', name, ...flags, s.image, ...args]);
        assert.equal(r.code, code, r.stderr);
        assert.match(r.stderr, message);
        const row = await state(name);
        assert.equal(row?.State, 'created');
        const insp = await s.inspect(name);
        assert.equal(insp.State.ExitCode, code);
        assert.match(insp.State.Error, message);
        assert.deepEqual(new ContainerCgroup(insp.Id).pids(), []);
        assert.deepEqual(await mountsUnder(s.root), []);
        assert.equal((await run(['rm', name])).code, 0);
      });
    }

    test('nothing stays mounted on the host, while running or after rm', async () => {
      const id = (await run(['run', '-d', '-v', 'm1:/m', s.image, 'sleep', '100'])).stdout.trim();
      assert.deepEqual(await mountsUnder(s.root), [], 'the container mounts live in its own namespace');
      assert.equal((await run(['rm', '-f', id])).code, 0);
      assert.deepEqual(await mountsUnder(s.root), []);
      await assert.rejects(stat(join(s.root, 'containers', id)), { code: 'ENOENT' });
    });

    test('restart policy on-failure:2 restarts twice, then leaves it exited', async () => {
      assert.equal((await run(['run', '-d', '--name', 'flaky', '--restart', 'on-failure:2', s.image, 'sh', '-c', 'exit 1'])).code, 0);
      const insp = await waitFor('two restarts', async () => {
        const i = await s.inspect('flaky');
        return i.State.Status === 'exited' && i.RestartCount === 2 ? i : undefined;
      });
      assert.equal(insp.State.ExitCode, 1);
      await run(['rm', 'flaky']);
    });

    test('health checks make a container healthy or unhealthy', async () => {
      await run(['run', '-d', '--name', 'well', '--health-cmd', 'true', '--health-interval', '200ms', s.image, 'sleep', '100']);
      await run(['run', '-d', '--name', 'ill', '--health-cmd', 'exit 1', '--health-interval', '200ms', '--health-retries', '2', s.image, 'sleep', '100']);
      await waitFor('healthy', async () => (await state('well'))?.Health === 'healthy');
      await waitFor('unhealthy', async () => (await state('ill'))?.Health === 'unhealthy');
      assert.match((await state('well'))!.Status, /\(healthy\)$/);
      await run(['rm', '-f', 'well', 'ill']);
    });

    test('after a reboot running containers are Exited, and system start applies restart policies', async () => {
      const keep = (await run(['run', '-d', '--name', 'boot-keep', '--restart', 'unless-stopped', s.image, 'sleep', '100'])).stdout.trim();
      const plain = (await run(['run', '-d', '--name', 'boot-plain', s.image, 'sleep', '100'])).stdout.trim();
      for (const id of [keep, plain]) {
        // Simulate the reboot: every process dies with the host, and state.json still says
        // running, with the boot ID of that boot.
        const path = join(s.root, 'containers', id, 'state.json');
        const st = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
        process.kill(st.supervisorPid as number, 'SIGKILL');
        await run(['ps']); // a reader kills what survived its supervisor (runc containers do)
        await waitFor('the container to die with its supervisor', async () => !readProcState(st.pid as number) || readProcState(st.pid as number) === 'Z');
        await writeFile(path, JSON.stringify({ ...st, bootId: 'a-previous-boot' }));
      }
      const r = await run(['system', 'start']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /started boot-keep/);
      assert.equal((await state('boot-keep'))!.State, 'running');
      const plainRow = (await state('boot-plain'))!;
      assert.equal(plainRow.State, 'exited');
      assert.equal(plainRow.ExitCode, 255);
      await run(['rm', '-f', keep, plain]);
    });

    test('--rm and rm -v remove anonymous volumes; named volumes stay', async () => {
      const before = await volumeNames(s.root);
      assert.equal((await run(['run', '--rm', '-v', '/anon', '-v', 'named1:/n', s.image, 'true'])).code, 0);
      assert.deepEqual((await volumeNames(s.root)).filter((v) => !before.includes(v)), ['named1']);
      const id = (await run(['create', '-v', '/anon2', s.image, 'true'])).stdout.trim();
      assert.equal((await volumeNames(s.root)).length, before.length + 2);
      assert.equal((await run(['rm', '-v', id])).code, 0);
      assert.deepEqual((await volumeNames(s.root)).filter((v) => !before.includes(v)), ['named1']);
    });

    test('stdin with -i reaches the container', async () => {
      const r = await s.cli(['run', '-i', '--rm', s.image, 'sh', '-c', 'cat; echo done'], { input: 'hello\n' });
      assert.equal(r.stdout, 'hello\ndone\n');
    });

    test('container prune removes stopped containers and reports the space', async () => {
      await run(['create', '--name', 'p1', s.image, 'true']);
      await run(['run', '--name', 'p2', s.image, 'sh', '-c', 'head -c 100000 /dev/zero > /blob']);
      const r = await run(['container', 'prune', '-f']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Deleted Containers:\n/);
      assert.match(r.stdout, /Total reclaimed space: \d+(\.\d+)?[kM]B\n$/);
      assert.equal((await s.ps()).filter((p) => p.Names === 'p1' || p.Names === 'p2').length, 0);
    });

    test('image VOLUME entries get anonymous volumes, filled from the image and removed by --rm', async () => {
      const img = await importRootfs(s.images, baseRootfs().tar, { name: 'localhost/with-volume:1', changes: ['CMD ["sh"]', 'VOLUME /etc'] });
      const before = await volumeNames(s.root);
      const id = (await run(['create', 'localhost/with-volume:1', 'cat', '/etc/os-release'])).stdout.trim();
      const added = (await volumeNames(s.root)).filter((v) => !before.includes(v));
      assert.equal(added.length, 1);
      assert.equal((await run(['start', '-a', id])).stdout.trim().split('\n')[0], 'NAME="Lifeboat base"');
      assert.match(await readFile(join(s.root, 'volumes', added[0]!, '_data', 'os-release'), 'utf8'), /Lifeboat base/);
      assert.equal((await run(['rm', '-v', id])).code, 0);
      assert.deepEqual(await volumeNames(s.root), before);
      assert.equal((await run(['run', '--rm', '-v', 'mine:/etc', 'localhost/with-volume:1', 'true'])).code, 0);
      assert.deepEqual((await volumeNames(s.root)).filter((v) => !before.includes(v)), ['mine'], 'a -v on the same path replaces the anonymous volume');
      assert.ok(img.id);
    });

    overlayOnly('unpacked layers stay while an image or container needs them, and go with the last one', async () => {
      const tiny = await importRootfs(s.images, Readable.from(writeTar([{ header: { path: 'hello', type: 'file', mode: 0o755, uid: 0, gid: 0, size: 3, mtime: 1, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() }, body: [Buffer.from('hi\n')] }])), { name: 'localhost/tiny:1' });
      const chain = chainIds(tiny.config.rootfs.diff_ids)[0]!.slice(7);
      const id = (await run(['create', 'localhost/tiny:1', '/hello'])).stdout.trim();
      assert.ok((await readdir(join(s.root, 'snapshots'))).includes(chain), 'unpacked at create');
      const refused = await run(['rmi', 'localhost/tiny:1']);
      assert.equal(refused.code, 4, 'an image a container uses is not removed');
      assert.equal((await run(['rmi', '-f', 'localhost/tiny:1'])).code, 0);
      assert.ok((await readdir(join(s.root, 'snapshots'))).includes(chain), 'the container still needs its layers');
      assert.equal((await run(['rm', id])).code, 0);
      assert.ok(!(await readdir(join(s.root, 'snapshots'))).includes(chain), 'gone with the last user');
      assert.ok((await readdir(join(s.root, 'snapshots'))).length > 0, "the base image's layers stay");
    });

    test('inspect and info say which snapshotter and runtime are in use', async () => {
      const id = (await run(['create', s.image, 'true'])).stdout.trim();
      const insp = await s.inspect(id);
      assert.equal(insp.GraphDriver.Name, o.snapshotter);
      const info = await run(['info', '--json']);
      assert.equal(JSON.parse(info.stdout).Driver, o.snapshotter);
      await run(['rm', id]);
    });
  });
}

function readProcState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

async function volumeNames(root: string): Promise<string[]> {
  return (await readdir(join(root, 'volumes')).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
}

