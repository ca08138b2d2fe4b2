/**
 * Two hosts for migration tests, on one machine: network namespaces A (source) and B (target)
 * joined by a veth pair (netns.ts), a real sshd inside B with its own host key (sshd.ts), and a
 * Lifeboat store on each side (runtime-store.ts: the base image in both, so it is the same image
 * on both hosts, as on real ones). The same compiled CLI serves both: the target's is run by sshd
 * as `--remote-lifeboat "node BIN" --remote-root <target root>`.
 *
 * EVERY client runs inside namespace A (`nsenter --net=/run/netns/A node BIN ... migrate`): the
 * namespaces' addresses are routed off the machine from the root namespace. Local-only commands (run, exec,
 * ps, volume ...) need no network and run as usual. Everything is undone in after(): containers
 * on both sides force-removed, mounts detached, stores deleted, sshd stopped by pid, namespaces
 * deleted (which deletes the veth pair), a tmpfs target unmounted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, type CliResult } from './cli.js';
import { twoHosts, type TwoHosts } from './netns.js';
import { cleanupStore, runtimeStore, type RuntimeStore } from './runtime-store.js';
import { startSshd, type Sshd } from './sshd.js';

type T = { after: (fn: () => unknown) => void };

export interface MigrateHosts {
  hosts: TwoHosts;
  sshd: Sshd;
  source: RuntimeStore;
  /** The target's store root (on this machine's filesystem, or a small tmpfs). */
  targetRoot: string;
  /** ssh://user@ipB:port */
  url: string;
  /** SSH flags and the target's Lifeboat: pass to every migrate. */
  flags: string[];
  /** `lifeboat --root <source> migrate ARGS`, inside namespace A. */
  migrate(args: string[], opts?: { onStderr?: (line: string) => void; timeoutMs?: number }): Promise<CliResult>;
  /** The CLI against the target's store (local: no network). */
  onTarget(args: string[]): Promise<CliResult>;
}

export interface MigrateHostsOptions {
  /** Put the target's store on a tmpfs of this many MiB (and without the base image). */
  tmpfsMiB?: number;
}

function runIn(ns: string, argv: string[], opts: { onStderr?: (line: string) => void; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // nsenter --net, not `ip netns exec`: the same network namespace, but without the private mount
    // namespace (and fresh /sys) that ip netns exec adds, which hides the cgroup freezer from `pause`
    const child = spawn('nsenter', [`--net=/run/netns/${ns}`, '--', process.execPath, BIN, ...argv], { env: { ...process.env, LIFEBOAT_NO_PROGRESS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const l of lines) opts.onStderr?.(l);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 180_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: stdoutBytes.toString('utf8'), stdoutBytes, stderr });
    });
  });
}

async function tmpfsRoot(t: T, mib: number): Promise<string> {
  const mnt = await mkdtemp(join(process.env.LIFEBOAT_TEST_TMP ?? tmpdir(), 'lb-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0700`, 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount tmpfs: ${r.stderr}`);
  t.after(() => {
    spawnSync('umount', ['-l', mnt]);
    spawnSync('rmdir', [mnt]);
  });
  const root = join(mnt, 'store');
  await mkdir(root, { mode: 0o700 });
  return root;
}

export async function migrateHosts(t: T, opts: MigrateHostsOptions = {}): Promise<MigrateHosts> {
  const hosts = twoHosts(t);
  // the target's store exists before sshd starts: `ip netns exec` gives sshd a mount namespace of
  // its own, and a mount made after that (the tmpfs) would not be seen there
  let targetRoot: string;
  if (opts.tmpfsMiB !== undefined) {
    targetRoot = await tmpfsRoot(t, opts.tmpfsMiB);
  } else {
    targetRoot = (await runtimeStore()).root;
  }
  t.after(() => cleanupStore(targetRoot));
  const sshd = await startSshd(t, { netns: hosts.nsB, listen: hosts.ipB });
  const source = await runtimeStore();
  t.after(() => cleanupStore(source.root));
  const url = `ssh://${sshd.user}@${hosts.ipB}:${sshd.port}`;
  const flags = ['-i', sshd.key, '--known-hosts', sshd.knownHosts, '--remote-root', targetRoot, '--remote-lifeboat', `${process.execPath} ${BIN}`];
  return {
    hosts,
    sshd,
    source,
    targetRoot,
    url,
    flags,
    migrate: (args, o) => runIn(hosts.nsA, ['--root', source.root, 'migrate', ...args], o),
    onTarget: (args) => source.cli(['--root', targetRoot, ...args]),
  };
}
