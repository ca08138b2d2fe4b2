/**
 * `lifeboat run` spends most of its time waiting for its supervisor, a second Node process, to
 * start. start.ts therefore spawns that supervisor before it loads the rest of the CLI, so the two
 * start-ups overlap; `run` then takes it (takeSupervisor) instead of spawning one.
 *
 * The early spawn is a guess made from argv alone (argv.ts) for the default store root. A guess
 * that turns out wrong costs nothing but the process: `run` spawns a fresh supervisor when the
 * store differs, and an early supervisor nobody took is sent away when the CLI finishes.
 */
import { spawnSupervisor } from '../ops/supervisor-spawn.js';
import type { PendingSupervisor } from '../runtime/supervisor-client.js';
import { resolveRoot } from './settings.js';

let early: { root: string; supervisor: PendingSupervisor } | undefined;

/**
 * Spawns the supervisor of a `run` now (start.ts calls this only when argv is a plain run). This
 * runs before the CLI's error handling exists, so a failure (a store root that cannot be made, no
 * processes left) is dropped here: `run` then spawns its supervisor itself and reports the error
 * as any command does.
 */
export function spawnEarlySupervisor(argv: readonly string[]): void {
  try {
    const root = resolveRoot();
    const supervisor = spawnSupervisor(root, { autoRemove: argv.includes('--rm') });
    // Until `run` takes it, its IPC channel must not keep this process alive.
    supervisor.child.channel?.unref();
    early = { root, supervisor };
  } catch {
    /* run spawns its own, and reports why */
  }
}

/** The early supervisor when it was spawned for `root`; otherwise a new one. */
export function takeSupervisor(root: string, opts: { autoRemove: boolean }): PendingSupervisor {
  const taken = early;
  early = undefined;
  if (taken?.root === root && taken.supervisor.child.connected) {
    taken.supervisor.child.channel?.ref();
    return taken.supervisor;
  }
  taken?.supervisor.cancel();
  return spawnSupervisor(root, opts);
}

/** Sends away an early supervisor that no command took (a failed parse, another command). */
export function releaseEarlySupervisor(): void {
  early?.supervisor.cancel();
  early = undefined;
}
