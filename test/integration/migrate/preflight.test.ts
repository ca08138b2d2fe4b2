/**
 * The preflight catches what would make a migration fail, before anything changes on either host:
 * a container or volume name taken on the target (and the remaps that get around it), a port a
 * host-network container needs busy there, Lifeboat missing there, an unknown host key, a full
 * target disk (the target's store on a small tmpfs); and --dry-run prints the plan and the
 * estimate and changes nothing. "Nothing changed" is checked as a listing of the target's store
 * (every path, size and mtime) taken before and after, and the source container still running
 * with no snapshot ref made.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { lstat, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeVolume } from '../../helpers/backup-scene.js';
import { migrateHosts, type MigrateHosts } from '../../helpers/migrate-hosts.js';
import { netnsUnavailable } from '../../helpers/netns.js';
import { needs } from '../../helpers/requirements.js';
import { SSHD } from '../../helpers/sshd.js';

const skip = needs({ root: true, commands: ['unshare', SSHD, 'ssh-keygen', 'ip', 'tc', 'mount'] }) ?? netnsUnavailable();

/** Every path under `root` with its size and mtime: a change anywhere shows. */
async function listing(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const name of (await readdir(dir).catch(() => [] as string[])).sort()) {
      const p = join(dir, name);
      const st = await lstat(p);
      out.push(`${p.slice(root.length)} ${st.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) await walk(p);
    }
  };
  await walk(root);
  return out;
}

async function scene(h: MigrateHosts, volumeKiB: number): Promise<void> {
  const ok = async (args: string[]) => {
    const r = await h.source.cli(args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  };
  await ok(['volume', 'create', 'appdata']);
  await writeVolume(h.source.root, 'appdata', [{ path: 'big.bin', random: volumeKiB * 1024 }]);
  await ok(['run', '-d', '--name', 'app', '-v', 'appdata:/data', h.source.image, 'sh', '-c', "trap 'exit 0' TERM; sleep 600 & wait"]);
}

/** Runs `fn` and checks that neither host changed. */
async function unchanged(h: MigrateHosts, fn: () => Promise<void>): Promise<void> {
  const target = await listing(h.targetRoot);
  await fn();
  assert.deepEqual(await listing(h.targetRoot), target, 'nothing changed on the target');
  assert.equal((await h.source.inspect('app')).State.Status, 'running', 'the source still runs');
  assert.deepEqual(JSON.parse((await h.source.cli(['volume', 'snapshots', 'appdata', '--json'])).stdout), [], 'no snapshot was taken');
}

const errorOf = (stderr: string) => JSON.parse(stderr.trim().split('\n').at(-1)!) as { error: string; message: string; hint?: string; exitCode: number };

describe('migration preflight', { skip, concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  let h: MigrateHosts;
  before(async () => {
    h = await migrateHosts({ after: (fn) => cleanups.push(fn) });
    await scene(h, 256);
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  const migrate = (...args: string[]) => h.migrate(['app', h.url, ...h.flags, '--json', ...args]);

  test('--dry-run prints the plan and the expected downtime, and changes nothing', async () => {
    await unchanged(h, async () => {
      const r = await migrate('--dry-run');
      assert.equal(r.code, 0, r.stderr);
      const plan = JSON.parse(r.stdout) as { outcome: string; estimate: { linkRate: number; measured: boolean; downtimeMs: number; lackedBytes: number }; preflight: { lacked: { image: number; data: number } } };
      assert.equal(plan.outcome, 'planned');
      assert.equal(plan.preflight.lacked.image, 0, 'the base image is on both hosts');
      assert.ok(plan.preflight.lacked.data >= 256 * 1024);
      assert.ok(plan.estimate.measured && plan.estimate.linkRate > 0);
      assert.ok(plan.estimate.downtimeMs > 0);
      const text = await h.migrate(['app', h.url, ...h.flags, '--dry-run']);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /downtime +about [\d.]+s/);
      assert.match(text.stdout, /Nothing was changed/);
    });
  });

  test('a container name taken on the target is refused (exit 4); --name gets around it', async () => {
    const made = await h.onTarget(['create', '--name', 'app', h.source.image, 'true']);
    assert.equal(made.code, 0, made.stderr);
    await unchanged(h, async () => {
      const r = await migrate();
      assert.equal(r.code, 4, r.stderr);
      assert.equal(errorOf(r.stderr).error, 'NAME_IN_USE');
      assert.match(errorOf(r.stderr).hint ?? '', /--name/);
    });
    assert.equal((await migrate('--dry-run', '--name', 'app-moved')).code, 0);
  });

  test('a volume name taken on the target is refused (exit 4); --volume OLD=NEW gets around it', async () => {
    assert.equal((await h.onTarget(['volume', 'create', 'appdata'])).code, 0);
    await unchanged(h, async () => {
      const r = await migrate('--name', 'app-moved');
      assert.equal(r.code, 4, r.stderr);
      assert.match(errorOf(r.stderr).message, /volume named appdata exists/);
    });
    assert.equal((await migrate('--dry-run', '--name', 'app-moved', '--volume', 'appdata=appdata-moved')).code, 0);
    assert.equal((await migrate('--dry-run', '--name', 'app-moved', '--volume', 'nosuch=x')).code, 2, 'an unknown volume key is a usage error');
  });

  test('a port the host-network container needs, busy on the target, is refused (exit 4)', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const made = await h.source.cli(['create', '--name', 'web', '--network', 'host', '-p', `${port}:${port}`, h.source.image, 'true']);
    assert.equal(made.code, 0, made.stderr);
    // a listener on the target's network (its namespace), stopped by pid
    const listener = spawn('ip', ['netns', 'exec', h.hosts.nsB, process.execPath, '-e', `require('net').createServer().listen(${port}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        listener.stdout.once('data', () => resolve());
        listener.once('exit', () => reject(new Error('the listener did not start')));
      });
      const r = await h.migrate(['web', h.url, ...h.flags, '--json', '--dry-run']);
      assert.equal(r.code, 4, r.stderr);
      assert.equal(errorOf(r.stderr).error, 'PORT_IN_USE');
      assert.match(errorOf(r.stderr).message, new RegExp(`port ${port}/tcp is in use`));
    } finally {
      listener.kill('SIGKILL');
    }
    assert.equal((await h.migrate(['web', h.url, ...h.flags, '--json', '--dry-run'])).code, 0, 'free again once the listener is gone');
  });

  test('Lifeboat missing on the target is refused with a hint how to install it (exit 13)', async () => {
    await unchanged(h, async () => {
      const flags = h.flags.map((f, i) => (h.flags[i - 1] === '--remote-lifeboat' ? '/nonexistent/lifeboat' : f));
      const r = await h.migrate(['app', h.url, ...flags, '--json']);
      assert.equal(r.code, 13, r.stderr);
      const e = errorOf(r.stderr);
      assert.equal(e.error, 'LIFEBOAT_MISSING');
      assert.match(e.hint ?? '', /install Lifeboat there/);
    });
  });

  test('an unknown host key is refused (exit 12) before anything moves', async () => {
    const empty = join(h.sshd.dir, 'empty_known_hosts');
    await writeFile(empty, '');
    await unchanged(h, async () => {
      const flags = h.flags.map((f, i) => (h.flags[i - 1] === '--known-hosts' ? empty : f));
      const r = await h.migrate(['app', h.url, ...flags, '--json']);
      assert.equal(r.code, 12, r.stderr);
      assert.equal(errorOf(r.stderr).error, 'HOST_KEY_UNKNOWN');
    });
  });
});

describe('migration preflight: a full target disk', { skip, concurrency: false }, () => {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('a target without room for the data is refused (exit 14) with nothing changed', async () => {
    const h = await migrateHosts({ after: (fn) => cleanups.push(fn) }, { tmpfsMiB: 24 });
    await scene(h, 4096);
    await unchanged(h, async () => {
      const r = await h.migrate(['app', h.url, ...h.flags, '--json']);
      assert.equal(r.code, 14, r.stderr);
      const e = errorOf(r.stderr) as { error: string; message: string; freeBytes?: number; needBytes?: number };
      assert.equal(e.error, 'NO_SPACE');
      assert.ok(e.freeBytes! < e.needBytes!, e.message);
    });
  });
});
