/**
 * `lifeboat system start`: run once after the host boots (from an init script or the scheduler).
 * Every container recorded as running on a previous boot is recorded as exited (liveness.ts);
 * then restart policies decide, as Docker's daemon does at start-up: `always` starts whatever
 * ran before, `unless-stopped` what was not stopped by hand, `on-failure` what failed within its
 * retry budget.
 */
import { ContainerStore } from '../runtime/container-store.js';
import { listWithState } from '../runtime/liveness.js';
import { isActive, type ContainerStatus } from '../runtime/container-record.js';
import { shouldStartAtBoot } from '../runtime/restart-policy.js';
import { startContainer } from './container-start.js';

export interface BootResult {
  started: string[];
  failed: Array<{ name: string; error: string }>;
  /** Containers found dead from a previous boot and recorded as exited. */
  reconciled: number;
}

export async function startAfterBoot(root: string): Promise<BootResult> {
  const store = new ContainerStore(root);
  const result: BootResult = { started: [], failed: [], reconciled: 0 };
  const before = new Map<string, ContainerStatus | undefined>();
  for (const id of await store.ids()) before.set(id, (await store.readState(id).catch(() => undefined))?.status);
  for (const { rec, state } of await listWithState(store)) {
    const was = before.get(rec.id);
    if (was && isActive(was) && !isActive(state.status)) result.reconciled++;
    if (isActive(state.status) || !state.hasRun) continue;
    const facts = { exitCode: state.exitCode, manuallyStopped: state.manuallyStopped, restartCount: state.restartCount };
    if (!shouldStartAtBoot(rec.restartPolicy, facts)) continue;
    try {
      await startContainer(root, rec.id);
      result.started.push(rec.name);
    } catch (err) {
      result.failed.push({ name: rec.name, error: (err as Error).message });
    }
  }
  return result;
}
