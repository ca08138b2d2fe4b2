/**
 * `migrate CONTAINER ssh://user@host[:port]`: a container (config, image, writable layer,
 * volumes) moves to another host that runs Lifeboat, and runs there verified; or everything is
 * left as it was. Migration = copy to the target over SFTP, then restore and verify there over
 * SSH (DESIGN.md). Memory state does not move (no CRIU here): the container restarts there.
 *
 *   1. plan + preflight (migrate-plan.ts, migrate-preflight.ts): nothing changes before it passes;
 *      --dry-run stops after it, with the link rate measured and the cost estimated
 *   2. the move (migrate-move.ts): temporary repository on the target, pre-copy rounds while the
 *      container runs, the cut-over, and on success the cleanup; on failure the rollback
 *
 * In every case the source store forgets the snapshot refs the rounds left held in the
 * temporary repository (it is gone), and the SSH connection is closed.
 */
import { silentProgress, type Progress } from '../core/progress.js';
import type { SshOptions } from '../repository/backends/ssh-connect.js';
import type { BackupDeps } from './backup.js';
import { forgetHeld } from './backup-local.js';
import type { CutoverResult } from './migrate-cutover.js';
import { keepaliveFor } from './migrate-link.js';
import { moveContainer } from './migrate-move.js';
import { estimateMigration, planMigration, type MigratePlan, type MigrateRequest, type MigrationEstimate } from './migrate-plan.js';
import { preflight, type PreflightResult } from './migrate-preflight.js';
import { RemoteLifeboat } from './migrate-remote.js';
import type { CutoverMode } from './migrate-source.js';
import { SshSession } from './migrate-ssh.js';
import { formatTarget, parseTargetUrl } from './migrate-target.js';
import type { RoundReport } from './migrate-transfer.js';

export interface MigrateOptions extends MigrateRequest {
  ssh?: SshOptions;
  /** The command that runs Lifeboat on the target, and its store root there. */
  remoteCommand?: string;
  remoteRoot?: string;
  dryRun?: boolean;
  rmSource?: boolean;
  cutover?: CutoverMode;
  verifyTimeMs?: number;
  maxRounds?: number;
  linkTimeoutMs?: number;
  packTarget?: number;
  progress?: Progress;
  signal?: AbortSignal;
}

export interface MigrateResult {
  id?: string;
  outcome: 'planned' | 'migrated';
  container: { id: string; name: string };
  target: { url: string; name: string; root: string; container?: string };
  plan: MigratePlan;
  preflight: Pick<PreflightResult, 'lacked' | 'needBytes'> & { freeBytes: number; imageBlobsPresent: number };
  estimate?: MigrationEstimate;
  rounds: RoundReport[];
  cutover?: CutoverResult;
  source?: 'stopped' | 'removed' | 'untouched';
  /** Over the wire (packs) in all rounds, and what the target lacked at the cut-over. */
  bytes: { sent: number; added: number; lacked: number };
  durationMs: number;
}

export const DEFAULTS = { cutover: 'stop' as CutoverMode, verifyTimeMs: 10_000, maxRounds: 3, linkTimeoutMs: 60_000 };

export async function migrateContainer(deps: BackupDeps, container: string, targetUrl: string, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const started = Date.now();
  const progress = opts.progress ?? silentProgress;
  const linkTimeoutMs = opts.linkTimeoutMs ?? DEFAULTS.linkTimeoutMs;
  const sshOpts: SshOptions = { ...opts.ssh, ...keepaliveFor(linkTimeoutMs) };
  const target = parseTargetUrl(targetUrl);
  const plan = await planMigration(deps, container, opts);
  const ssh = new SshSession(target, sshOpts);
  const remote = new RemoteLifeboat(ssh, { ...(opts.remoteCommand ? { command: opts.remoteCommand } : {}), ...(opts.remoteRoot ? { root: opts.remoteRoot } : {}), onWarning: (m) => progress.warn(`${target.host}: ${m}`) });
  let repoId: string | undefined;
  try {
    progress.info(`Preflight: ${plan.container.name} → ${formatTarget(target)}`);
    await ssh.open();
    const pre = await preflight(remote, plan);
    const base = {
      container: { id: plan.container.id, name: plan.container.name },
      plan,
      preflight: { lacked: pre.lacked, needBytes: pre.needBytes, freeBytes: pre.facts.freeBytes, imageBlobsPresent: pre.present.size },
    };
    const where = { url: formatTarget(target), name: plan.names.container, root: pre.facts.root };
    if (opts.dryRun) {
      const rate = await remote.linkRate().then((bytesPerSec) => ({ bytesPerSec, measured: true }), () => undefined);
      return { ...base, outcome: 'planned', target: where, estimate: estimateMigration(plan, pre.lacked.total, rate), rounds: [], bytes: { sent: 0, added: 0, lacked: pre.lacked.total }, durationMs: Date.now() - started };
    }

    const presentImage = plan.image.blobs.filter((d) => pre.present.has(d.digest));
    const moved = await moveContainer(deps, remote, plan, pre.facts, presentImage, {
      mode: opts.cutover ?? DEFAULTS.cutover,
      verifyTimeMs: opts.verifyTimeMs ?? DEFAULTS.verifyTimeMs,
      maxRounds: opts.maxRounds ?? DEFAULTS.maxRounds,
      rmSource: !!opts.rmSource,
      ...(opts.packTarget ? { packTarget: opts.packTarget } : {}),
      // one quick retry for a hiccup; a link that stays down fails the step, and overLink waits for
      // it (up to --link-timeout) and runs the step again, adopting the packs that arrived whole
      backend: { ...sshOpts, retry: { retries: 1, baseMs: 500, maxMs: 1_000, onRetry: (e) => progress.warn(`${(e as Error).message}; retrying`) } },
      link: { timeoutMs: linkTimeoutMs, progress, ...(opts.signal ? { signal: opts.signal } : {}) },
      progress,
      ...(opts.signal ? { signal: opts.signal } : {}),
      onRepository: (id) => (repoId = id),
    });
    const all = [...moved.rounds, moved.cutover.final];
    const presentBytes = presentImage.reduce((n, d) => n + d.size, 0);
    return {
      ...base,
      id: moved.id,
      outcome: 'migrated',
      target: { ...where, container: moved.cutover.restored.container.id },
      rounds: moved.rounds,
      cutover: moved.cutover,
      source: moved.source,
      bytes: { sent: all.reduce((n, r) => n + r.sentBytes, 0), added: all.reduce((n, r) => n + r.addedBytes, 0), lacked: moved.cutover.final.bytes - presentBytes },
      durationMs: Date.now() - started,
    };
  } finally {
    await ssh.close();
    if (repoId) await forgetHeld(deps.content, repoId, progress).catch((err: unknown) => progress.warn(`could not forget the migration's snapshot refs, or free their trees: ${(err as Error).message}`));
  }
}
