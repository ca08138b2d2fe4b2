/**
 * The data of a migration on its way: whole-container backups (ops/backup.ts) into the temporary
 * repository on the target, over SFTP.
 *
 *   pre-copy   while the container runs, WITHOUT holding it (consistency none): round 1 sends
 *              everything the target lacks; each later round is incremental against the round
 *              before (its volume snapshots are the parents; unchanged files are not even read)
 *              and sends only what changed meanwhile. Rounds go on while the delta shrinks:
 *              until it is small (SMALL_DELTA), stops shrinking by half, or --max-rounds.
 *   final      once the container is held (stopped or paused by the cut-over): the same backup,
 *              which now sends only the last delta: the writable layer and the changed chunks.
 *
 * Every round goes through overLink (ops/migrate-link.ts): a round cut off by the link is run
 * again when the link is back, and the packs that arrived whole are adopted, not sent again.
 */
import type { Progress } from '../core/progress.js';
import { humanSize } from '../core/units.js';
import type { Repository } from '../repository/repository.js';
import { backupContainer, type BackupDeps } from './backup.js';
import { overLink, type LinkPolicy } from './migrate-link.js';
import type { SshSession } from './migrate-ssh.js';

/** A delta this small is left for the cut-over. */
export const SMALL_DELTA = 1024 * 1024;

export interface RoundReport {
  round: number;
  kind: 'pre-copy' | 'final';
  /** The backup this round made in the temporary repository. */
  backup: string;
  /** Bytes that went over the wire (packs), and the decoded bytes of the blobs they carried. */
  sentBytes: number;
  addedBytes: number;
  /** Blobs the repository (or the target's store) had already. */
  skippedBytes: number;
  /** The container's logical size in this backup: image, writable layer and volume files. */
  bytes: number;
  /** Files the round read again, of all the volumes' files. */
  changedFiles: number;
  files: number;
  durationMs: number;
}

export interface TransferContext {
  deps: BackupDeps;
  repo: Repository;
  ssh: SshSession;
  link: LinkPolicy;
  container: string;
  packTarget?: number;
  progress: Progress;
  signal?: AbortSignal;
}

/** One backup into the temporary repository; the container is not held by it. */
export async function backupRound(ctx: TransferContext, round: number, kind: RoundReport['kind']): Promise<RoundReport> {
  const label = kind === 'final' ? 'final copy' : `pre-copy round ${round}`;
  const r = await overLink(label, ctx.ssh, ctx.link, () =>
    backupContainer(ctx.deps, ctx.repo, ctx.container, {
      tags: ['migration'],
      consistency: { mode: 'none', warn: (m) => ctx.progress.warn(m) },
      progress: ctx.progress,
      ...(ctx.packTarget ? { copy: { packTarget: ctx.packTarget } } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    }),
  );
  const report: RoundReport = {
    round,
    kind,
    backup: r.id,
    sentBytes: r.sent.storedBytes,
    addedBytes: r.sent.bytes,
    skippedBytes: r.skipped.bytes,
    bytes: r.record.stats.bytes,
    changedFiles: r.record.stats.files - r.record.stats.unchangedFiles,
    files: r.record.stats.files,
    durationMs: r.durationMs,
  };
  ctx.progress.info(`${label}: sent ${humanSize(report.sentBytes)} (${report.changedFiles} of ${report.files} files read) in ${(report.durationMs / 1000).toFixed(1)}s`);
  return report;
}

/** Whether another pre-copy round is worth it after `rounds`. */
export function anotherRound(rounds: readonly RoundReport[], maxRounds: number): boolean {
  if (rounds.length >= maxRounds) return false;
  const last = rounds.at(-1);
  if (!last) return true;
  if (last.sentBytes <= SMALL_DELTA) return false;
  const before = rounds.at(-2);
  return !before || last.sentBytes <= before.sentBytes / 2;
}

/** Pre-copy rounds while the container runs (one when it does not run: nothing changes then). */
export async function preCopy(ctx: TransferContext, opts: { maxRounds: number; running: boolean }): Promise<RoundReport[]> {
  const rounds: RoundReport[] = [];
  const max = opts.running ? opts.maxRounds : Math.min(1, opts.maxRounds);
  while (anotherRound(rounds, max)) rounds.push(await backupRound(ctx, rounds.length + 1, 'pre-copy'));
  return rounds;
}
