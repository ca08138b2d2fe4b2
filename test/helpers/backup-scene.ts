/**
 * The stage for whole-container backup tests: a runtime store with the base image (containers that
 * really run), a repository (local, or over SFTP to a real sshd on loopback, with the SSH flags the
 * CLI needs), volume data declared as data and written into a volume's directory, and the checks
 * the tests share: which volume chunks the local store still holds, and a backup's record as
 * `backup inspect` shows it. Everything is removed in after() (containers, mounts, sshd by pid).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { MediaType } from '../../src/core/media-types.js';
import type { Digest } from '../../src/core/digest.js';
import { LocalContentStore } from '../../src/content/local-store.js';
import type { BackupRecord } from '../../src/ops/backup-format.js';
import { closureOf } from '../../src/ops/backup-local.js';
import { cleanupStore, runtimeStore, type RuntimeStore } from './runtime-store.js';
import { startSshd, type Sshd } from './sshd.js';
import { tempDir } from './tmp.js';

type T = { after: (fn: () => unknown) => void };

export interface BackupScene {
  s: RuntimeStore;
  /** Repository URL (a path, or sftp://...). */
  url: string;
  /** Local path of the repository (the sftp server's directory on this machine). */
  path: string;
  /** SSH flags for every repository command ([] for a local repository). */
  ssh: string[];
  sshd?: Sshd;
  /** Runs the CLI; throws with its output unless it exits 0. */
  ok(args: string[]): Promise<string>;
}

export async function backupScene(t: T, opts: { sftp: boolean }): Promise<BackupScene> {
  const s = await runtimeStore();
  t.after(() => cleanupStore(s.root));
  const path = join(await tempDir(t, 'lb-repo-'), 'repo');
  let url = path;
  let ssh: string[] = [];
  let sshd: Sshd | undefined;
  if (opts.sftp) {
    sshd = await startSshd(t);
    url = sshd.url(path);
    ssh = ['-i', sshd.key, '--known-hosts', sshd.knownHosts];
  }
  const ok = async (args: string[]) => {
    const r = await s.cli(args);
    if (r.code !== 0) throw new Error(`lifeboat ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  };
  await ok(['repo', 'init', url, ...ssh]);
  return { s, url, path, ssh, ...(sshd ? { sshd } : {}), ok };
}

export type VolumeFile = { path: string } & ({ text: string } | { random: number });

/** Writes files into a volume's directory on the host (the volume must exist). */
export async function writeVolume(root: string, volume: string, files: VolumeFile[]): Promise<void> {
  for (const f of files) {
    const full = join(root, 'volumes', volume, '_data', f.path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, 'text' in f ? f.text : randomBytes(f.random));
  }
}

/** A backup's record and ref as `backup inspect --json` prints them. */
export async function inspectBackup(scene: BackupScene, id: string): Promise<{ Id: string; Record: BackupRecord; Verifications: Array<{ passed: boolean; reason: string }> }> {
  return (JSON.parse(await scene.ok(['backup', 'inspect', id, '--repo', scene.url, '--json', ...scene.ssh])) as Array<{ Id: string; Record: BackupRecord; Verifications: Array<{ passed: boolean; reason: string }> }>)[0]!;
}

/** The chunks a snapshot's trees name, split by whether the local store has them. */
export async function localChunks(root: string, snapshot: { digest: Digest; size: number }): Promise<{ present: number; absent: number; trees: number }> {
  const content = await LocalContentStore.open(root);
  const all = await closureOf(content, [{ mediaType: MediaType.LifeboatVolumeSnapshot, ...snapshot }]);
  let present = 0;
  let absent = 0;
  for (const d of all.filter((x) => x.mediaType === MediaType.LifeboatChunk)) ((await content.info(d.digest)) ? present++ : absent++);
  return { present, absent, trees: all.filter((x) => x.mediaType === MediaType.LifeboatTree).length };
}
