/**
 * Rollback: any failure before the target's container is verified puts both hosts back as they
 * were, in this order:
 *
 *   1. the source: started again or thawed if the cut-over held it (the service comes back first);
 *   2. the target: `lifeboat receive cleanup` removes the temporary directory and, when a restore
 *      was asked for, the container and the volumes it made (only ones created after the
 *      preflight, by the target's own clock) and the image when the target lacked it before;
 *      waiting for a cut link like any step that can run twice (ops/migrate-link.ts).
 *
 * A rollback that cannot finish (the link never came back) says exactly what is left on the
 * target and the one command that removes it, instead of hiding the migration's own error.
 */
import type { Progress } from '../core/progress.js';
import type { MigrationState } from './migrate-cutover.js';
import { overLink, type LinkPolicy } from './migrate-link.js';
import type { MigratePlan } from './migrate-plan.js';
import type { CleanupReport, CleanupRequest } from './migrate-receive-end.js';
import type { RemoteLifeboat } from './migrate-remote.js';
import { shellQuote } from './migrate-ssh.js';
import { releaseSource } from './migrate-source.js';
import type { ContainerControl } from './volume-quiesce.js';

export interface RollbackReport {
  /** What became of the source container. */
  source: 'restarted' | 'unpaused' | 'untouched' | `failed: ${string}`;
  /** What the target's cleanup removed; or why it could not, and how to finish it. */
  target?: CleanupReport;
  targetError?: string;
  leftOnTarget?: string;
}

export interface RollbackContext {
  control: ContainerControl;
  remote: RemoteLifeboat;
  link: LinkPolicy;
  progress: Progress;
}

/** The cleanup that takes away what this migration made (or may have made) on the target. */
export function cleanupRequest(plan: MigratePlan, state: MigrationState, dir: string, since: string, imageWasThere: boolean): CleanupRequest {
  if (!state.restoreAsked) return { dir };
  const named = plan.names.volumes.flatMap((v) => (v.target !== undefined ? [v.target] : []));
  const made = state.restored?.volumes.filter((v) => v.created).map((v) => v.name) ?? [];
  return {
    dir,
    container: plan.names.container,
    volumes: [...new Set([...named, ...made])],
    ...(imageWasThere ? {} : { image: plan.image.manifest.digest }),
    since,
  };
}

/** The command line that finishes a cleanup by hand. */
export function cleanupCommand(remote: RemoteLifeboat, req: CleanupRequest): string {
  const args = [
    ...(req.dir ? ['--dir', req.dir] : []),
    ...(req.container ? ['--container', req.container] : []),
    ...(req.volumes ?? []).flatMap((v) => ['--volume', v]),
    ...(req.image ? ['--image', req.image] : []),
    ...(req.since ? ['--since', req.since] : []),
  ];
  return `ssh ${remote.ssh.target.user}@${remote.ssh.target.host} ${remote.command} receive cleanup ${args.map(shellQuote).join(' ')}`;
}

export async function rollBack(ctx: RollbackContext, plan: MigratePlan, state: MigrationState, req: CleanupRequest): Promise<RollbackReport> {
  ctx.progress.warn(`rolling back: ${plan.container.name} stays on this host`);
  let source: RollbackReport['source'] = 'untouched';
  if (state.hold && state.hold.before === 'running') {
    try {
      await releaseSource(ctx.control, plan.container.id, state.hold);
      source = state.hold.mode === 'pause' ? 'unpaused' : 'restarted';
    } catch (err) {
      source = `failed: ${(err as Error).message}`;
      ctx.progress.warn(`could not ${state.hold.mode === 'pause' ? 'unpause' : 'restart'} ${plan.container.name}: ${(err as Error).message}`);
    }
  }
  try {
    const target = await overLink('rollback on the target', ctx.remote.ssh, ctx.link, () => ctx.remote.cleanup(req));
    return { source, target };
  } catch (err) {
    const left = cleanupCommand(ctx.remote, req);
    ctx.progress.warn(`the target could not be cleaned up (${(err as Error).message}); to finish it: ${left}`);
    return { source, targetError: (err as Error).message, leftOnTarget: left };
  }
}
