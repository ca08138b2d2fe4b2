/**
 * The source container through a migration: held for the cut-over, given back as it was when the
 * migration rolls back, left stopped (or removed) when it succeeds; and the traces the migration's
 * backups leave in the source store, removed at the end either way.
 *
 *   hold      --cutover stop (default): the stop signal, then SIGKILL after its stop timeout, as
 *             `stop` does; --cutover pause: frozen (cgroup freezer), so it can go on at once if the
 *             migration fails. Downtime starts here. A container that does not run is not touched.
 *   release   rollback: started again (stop) or thawed (pause): as it was before the migration.
 *   settle    success: a paused source is stopped (the target runs it now); with --rm-source it
 *             is removed with its anonymous volumes (named volumes stay, as `rm` leaves them).
 *
 * The migration's backups also mark their volume snapshots HELD in its temporary repository; once
 * that is gone, migrate.ts forgets them (backup-local.ts forgetHeld).
 */
import { removeContainers } from './container-remove.js';
import { startAgain, type ContainerControl, type ContainerRunState } from './volume-quiesce.js';

export type CutoverMode = 'stop' | 'pause';

export interface SourceHold {
  mode: CutoverMode;
  /** The state before the hold; only a running container is held. */
  before: ContainerRunState;
  /** When the hold began (ms since the epoch): downtime starts here. */
  at: number;
  /** How long stopping (or freezing) took. */
  tookMs: number;
}

export async function holdSource(control: ContainerControl, id: string, mode: CutoverMode): Promise<SourceHold> {
  const before = await control.state(id);
  const at = Date.now();
  if (before === 'running') {
    if (mode === 'pause') await control.pause(id);
    else await control.stop(id);
  }
  return { mode, before, at, tookMs: Date.now() - at };
}

/** Rollback: the container as it was before the hold. */
export async function releaseSource(control: ContainerControl, id: string, hold: SourceHold): Promise<void> {
  if (hold.before !== 'running') return;
  const now = await control.state(id);
  if (hold.mode === 'pause' && now === 'paused') await control.unpause(id);
  else if (now === 'stopped') await startAgain(control, id);
}

/** Success: stopped (a paused source too), or removed with --rm-source. */
export async function settleSource(root: string, control: ContainerControl, id: string, opts: { remove: boolean }): Promise<'stopped' | 'removed'> {
  if ((await control.state(id)) !== 'stopped') await control.stop(id);
  if (!opts.remove) return 'stopped';
  await removeContainers(root, [id], { volumes: true });
  return 'removed';
}
