/**
 * Reconciles a recorded state with the machine, so no reader ever reports a dead container as Up:
 *
 * - recorded on another boot (the boot ID changed): the container died with the host → exited 255;
 * - its supervisor is gone (not running, a zombie, or its PID now belongs to another process with
 *   a different start time): nobody is watching it any more, so it is killed if still alive and
 *   recorded as exited (137 when killed here, 255 when it was already gone);
 * - otherwise the state stands.
 *
 * The fix is written under the container's lock after checking again, so a supervisor that just
 * recorded an exit is never overwritten. `lifeboat system start` relies on this after a reboot.
 */
import { ContainerCgroup } from './cgroups.js';
import { isActive, type ContainerRecord, type ContainerState } from './container-record.js';
import type { ContainerStore } from './container-store.js';
import { bootId, isAlive, waitGone } from './proc.js';

export type Verdict = { ok: true } | { ok: false; exitCode: number; error: string; kill: boolean };

/** What is wrong with an active state, if anything (pure except for /proc reads). */
export function judge(state: ContainerState, currentBoot = bootId()): Verdict {
  if (!isActive(state.status)) return { ok: true };
  if (state.bootId && state.bootId !== currentBoot) return { ok: false, exitCode: 255, error: 'the host restarted while the container was running', kill: false };
  if (state.supervisorPid === 0 || !isAlive(state.supervisorPid, state.supervisorStart)) {
    const alive = isAlive(state.pid, state.pidStart);
    return { ok: false, exitCode: alive ? 137 : 255, error: 'the container supervisor died', kill: alive };
  }
  return { ok: true };
}

export async function reconcile(store: ContainerStore, rec: ContainerRecord, state?: ContainerState): Promise<ContainerState> {
  const seen = state ?? (await store.readState(rec.id));
  if (judge(seen).ok) return seen;
  return store.updateState(rec.id, async (s) => {
    const v = judge(s);
    if (v.ok) return false;
    if (v.kill) {
      const cgroup = new ContainerCgroup(rec.id);
      try {
        process.kill(s.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      if (cgroup.isFrozen()) await cgroup.thaw().catch(() => undefined);
      await waitGone(s.pid, s.pidStart, 5000);
      await cgroup.remove();
    }
    s.status = 'exited';
    s.exitCode = v.exitCode;
    s.error = v.error;
    s.finishedAt = s.finishedAt && s.startedAt && s.finishedAt > s.startedAt ? s.finishedAt : new Date().toISOString();
    s.pid = 0;
    s.pidStart = 0;
    s.supervisorPid = 0;
    s.supervisorStart = 0;
  });
}

/** Every container with its reconciled state. */
export async function listWithState(store: ContainerStore): Promise<Array<{ rec: ContainerRecord; state: ContainerState }>> {
  const out: Array<{ rec: ContainerRecord; state: ContainerState }> = [];
  for (const rec of await store.list()) {
    const state = await store.readState(rec.id).catch(() => undefined);
    if (state) out.push({ rec, state: await reconcile(store, rec, state) });
  }
  return out;
}
