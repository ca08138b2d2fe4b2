/**
 * A throwaway store with the tiny base image in it, for runtime tests, and the cleanup that makes a
 * failed test leave nothing behind: every container force-removed (which kills it and detaches
 * its mounts), any mount still under the root detached, the directory deleted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalContentStore } from '../../src/content/local-store.js';
import { buildBaseImage, BASE_IMAGE } from '../../src/images/base-image.js';
import { ImageStore } from '../../src/images/image-store.js';
import { removeContainers } from '../../src/ops/container-remove.js';
import { ContainerCgroup } from '../../src/runtime/cgroups.js';
import { ContainerStore } from '../../src/runtime/container-store.js';
import { isAlive } from '../../src/runtime/proc.js';
import { lifeboat, type CliResult } from './cli.js';

export interface RuntimeStore {
  root: string;
  images: ImageStore;
  image: string;
  /** Runs the CLI against this store with the suite's environment (executor, snapshotter). */
  cli(args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** `ps -a --json` rows. */
  ps(): Promise<Array<{ ID: string; Names: string; State: string; Status: string; ExitCode: number; Health: string | null }>>;
  inspect(name: string): Promise<InspectedContainer>;
}

export interface InspectedContainer {
  Id: string;
  State: { Status: string; Running: boolean; Paused: boolean; ExitCode: number; Error: string; Pid: number; Health?: { Status: string } };
  RestartCount: number;
  GraphDriver: { Name: string; Data: Record<string, string> };
}

/** Mountpoints under `dir` in this process's mount namespace. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text.split('\n').map((l) => l.split(' ')[4] ?? '').filter((mp) => mp === dir || mp.startsWith(`${dir}/`));
}

/**
 * Removes everything a runtime test made, even after a failure: each container force-removed; then,
 * whatever survived that, its supervisor and every process in its cgroup killed by PID (checked
 * against the recorded start time); then mounts detached and the directory deleted.
 */
export async function cleanupStore(root: string): Promise<void> {
  const store = new ContainerStore(root);
  const ids = await store.ids().catch(() => [] as string[]);
  for (const id of ids) await removeContainers(root, [id], { force: true, volumes: true }).catch(() => undefined);
  for (const id of ids) {
    const st = await store.readState(id).catch(() => undefined);
    const victims = [...new ContainerCgroup(id).pids()];
    if (st && isAlive(st.supervisorPid, st.supervisorStart)) victims.push(st.supervisorPid);
    if (st && isAlive(st.pid, st.pidStart)) victims.push(st.pid);
    for (const pid of victims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    await new ContainerCgroup(id).remove();
  }
  for (const mp of (await mountsUnder(root)).reverse()) spawnSync('umount', ['-l', mp]);
  await rm(root, { recursive: true, force: true });
}

/** A fresh store with the base image; the caller runs cleanupStore(root) when done (in an after hook). */
export async function runtimeStore(env: Record<string, string> = {}): Promise<RuntimeStore> {
  const root = await mkdtemp(join(process.env.LIFEBOAT_TEST_TMP ?? tmpdir(), 'lb-rt-'));
  const images = new ImageStore(await LocalContentStore.open(root));
  await buildBaseImage(images);
  const cli = (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) =>
    lifeboat(args, { root, env: { ...env, ...opts.env }, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  return {
    root,
    images,
    image: BASE_IMAGE,
    cli,
    ps: async () => JSON.parse((await cli(['ps', '-a', '--json'])).stdout),
    inspect: async (name) => {
      const r = await cli(['inspect', '--type', 'container', name]);
      if (r.code !== 0) throw new Error(`inspect ${name}: ${r.stderr}`);
      return (JSON.parse(r.stdout) as InspectedContainer[])[0]!;
    },
  };
}

/** Polls `fn` until it returns a truthy value; throws with `what` on timeout. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
