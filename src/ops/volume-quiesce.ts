/**
 * Consistent volume snapshots while containers use the volume: the container-backed Quiescer.
 *
 *   --exec-before CMD   run `sh -c CMD` in every running container that uses the volume (a
 *                       database dump or flush); a non-zero exit aborts the snapshot, nothing held
 *   default (pause)     freeze those containers (cgroup freezer) while the volume is read
 *   --stop              stop them instead, and start them again afterwards
 *   --no-pause          neither (crash-consistent at best)
 *   --exec-after CMD    after they run again; a failure is reported, the snapshot is kept
 *
 * Whatever happens while the volume is read, every container we paused or stopped is resumed
 * (release tries them all). Containers already paused stay paused. The runtime is reached only
 * through ContainerControl, implemented by the runtime's ops (ops/container*.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ContainerError, ConflictError } from '../core/errors.js';
import { releaseAll, type Quiescer, type Release } from '../volumes/quiescer.js';
import type { VolumeUser } from './volume-users.js';

export type ContainerRunState = 'running' | 'paused' | 'stopped';

/** What volume snapshots and restores need from the container runtime. */
export interface ContainerControl {
  state(id: string): Promise<ContainerRunState>;
  /** Freezes every process of the container (cgroup freezer). */
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  /** Docker's stop: the stop signal, then SIGKILL after the container's timeout. */
  stop(id: string): Promise<void>;
  start(id: string): Promise<void>;
  /** Runs argv inside the running container; resolves with its exit code and combined output. */
  exec(id: string, argv: string[]): Promise<{ exitCode: number; output: string }>;
}

export interface ConsistencyOptions {
  mode: 'pause' | 'stop' | 'none';
  execBefore?: string;
  execAfter?: string;
  warn?: (message: string) => void;
}

/** The users that are running or paused, as the runtime says; refuses when there is no runtime to ask. */
export async function activeUsers(
  control: ContainerControl | undefined,
  users: VolumeUser[],
  volume: string,
  hint = 'use --no-pause to read the volume as it is',
): Promise<Array<VolumeUser & { state: ContainerRunState }>> {
  if (users.length === 0) return [];
  if (!control) {
    throw new ConflictError(`volume ${volume} is used by container(s) ${users.map((u) => u.name).join(', ')}, and no container runtime is available to tell whether they run`, { hint });
  }
  const out: Array<VolumeUser & { state: ContainerRunState }> = [];
  for (const u of users) {
    const state = await control.state(u.id);
    if (state !== 'stopped') out.push({ ...u, state });
  }
  return out;
}

async function runHook(control: ContainerControl, users: VolumeUser[], command: string, which: string): Promise<void> {
  for (const u of users) {
    const r = await control.exec(u.id, ['sh', '-c', command]);
    if (r.exitCode !== 0) {
      throw new ContainerError(`${which} hook failed in container ${u.name} (exit ${r.exitCode}): ${r.output.trim().slice(-500)}`, {
        code: 'HOOK_FAILED',
        data: { container: u.id, exitCode: r.exitCode },
      });
    }
  }
}

/**
 * Starts a container we stopped. Right after a stop the runtime may still be winding the old run
 * down (its supervisor exiting) and refuse with a conflict; that is retried for a few seconds.
 */
export async function startAgain(control: ContainerControl, id: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
    try {
      return await control.start(id);
    } catch (err) {
      if (!(err instanceof ConflictError) || Date.now() > deadline) throw err;
      await sleep(delay);
    }
  }
}

export function containerQuiescer(control: ContainerControl, active: Array<VolumeUser & { state: ContainerRunState }>, opts: ConsistencyOptions): Quiescer {
  const running = active.filter((u) => u.state === 'running');
  return {
    async hold(): Promise<Release> {
      if (opts.execBefore) await runHook(control, running, opts.execBefore, '--exec-before');
      const undo: Release[] = [];
      try {
        for (const u of running) {
          if (opts.mode === 'pause') {
            await control.pause(u.id);
            undo.push(() => control.unpause(u.id));
          } else if (opts.mode === 'stop') {
            await control.stop(u.id);
            undo.push(() => startAgain(control, u.id));
          }
        }
      } catch (err) {
        await releaseAll(undo.reverse());
        throw err;
      }
      return async () => {
        await releaseAll(undo.reverse());
        if (!opts.execAfter) return;
        try {
          await runHook(control, running, opts.execAfter, '--exec-after');
        } catch (err) {
          opts.warn?.((err as Error).message);
        }
      };
    },
  };
}
