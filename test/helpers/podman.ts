/**
 * Podman with a private store (vfs driver, its own root and runroot) and the settings this machine
 * needs (runc, lower ulimits: see ../shared/reference/components.md §3). Never pulls.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function podmanIn(dir: string): (args: string[]) => SpawnSyncReturns<string> {
  const conf = join(dir, 'containers.conf');
  writeFileSync(conf, '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n');
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'none'];
  return (args) => spawnSync('podman', [...base, ...args], { env: { ...process.env, CONTAINERS_CONF: conf, TMPDIR: dir }, encoding: 'utf8', maxBuffer: 1 << 30 });
}
