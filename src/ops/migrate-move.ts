/**
 * The part of a migration that changes things, once the preflight has passed (ops/migrate.ts):
 *
 *   1. the temporary repository <root>/migrate/<id>/repo on the target, over SFTP, with the image
 *      blobs the target's store has counted as present (migrate-present.ts)
 *   2. pre-copy rounds while the container runs (migrate-transfer.ts), then the last round's
 *      volumes restored on the target ahead of time (`receive stage`, ops/restore-stage.ts): not
 *      essential, so a failure there only means the cut-over restores them whole
 *   3. the cut-over: hold, final delta, restore and start there, verify (migrate-cutover.ts)
 *   4. success: the temporary directory goes, the source is left stopped (or removed);
 *      any failure before the verdict (Ctrl-C included): the rollback (migrate-rollback.ts), then
 *      the error, its message saying what was undone and its data carrying the rollback's report
 *
 * Whatever happens, the handle on the temporary repository is closed; the caller forgets the
 * snapshot refs the rounds left held in it (its id is returned through `onRepository`).
 */
import { posix } from 'node:path';
import { CancelledError, ConflictError, LifeboatError } from '../core/errors.js';
import type { Descriptor } from '../core/oci.js';
import type { Progress } from '../core/progress.js';
import type { OpenBackendOptions } from '../repository/backends/open-backend.js';
import { initRepository, openRepository, type Repository } from '../repository/repository.js';
import type { BackupDeps } from './backup.js';
import { cutOver, type CutoverOptions, type CutoverResult, type MigrationState } from './migrate-cutover.js';
import { overLink, type LinkPolicy } from './migrate-link.js';
import type { MigratePlan } from './migrate-plan.js';
import { countAsPresent } from './migrate-present.js';
import type { ReceiveFacts } from './migrate-receive.js';
import type { RemoteLifeboat } from './migrate-remote.js';
import { cleanupRequest, rollBack, type RollbackReport } from './migrate-rollback.js';
import { settleSource } from './migrate-source.js';
import { migrationDir, migrationRepoPath, migrationRepoUrl, newMigrationId } from './migrate-target.js';
import { preCopy, type RoundReport, type TransferContext } from './migrate-transfer.js';

export interface MoveOptions extends Pick<CutoverOptions, 'mode' | 'verifyTimeMs'> {
  maxRounds: number;
  rmSource: boolean;
  packTarget?: number;
  backend: OpenBackendOptions;
  link: LinkPolicy;
  progress: Progress;
  signal?: AbortSignal;
  /** Told the temporary repository's id as soon as it exists. */
  onRepository: (id: string) => void;
}

export interface Moved {
  id: string;
  rounds: RoundReport[];
  cutover: CutoverResult;
  source: 'stopped' | 'removed' | 'untouched';
}

async function openTempRepository(url: string, opts: OpenBackendOptions): Promise<Repository> {
  try {
    return await initRepository(url, opts);
  } catch (err) {
    if (err instanceof ConflictError) return openRepository(url, opts); // made by an attempt whose answer was lost
    throw err;
  }
}

export async function moveContainer(deps: BackupDeps, remote: RemoteLifeboat, plan: MigratePlan, facts: ReceiveFacts, presentImage: Descriptor[], opts: MoveOptions): Promise<Moved> {
  const { progress, link } = opts;
  const ssh = remote.ssh;
  const id = newMigrationId();
  const dir = migrationDir(facts.root, id);
  const st: MigrationState = { restoreAsked: false };
  let repo: Repository | undefined;
  let rounds: RoundReport[] = [];
  let cut: CutoverResult;
  try {
    repo = await overLink('creating the temporary repository', ssh, link, () => openTempRepository(migrationRepoUrl(ssh.target, facts.root, id), opts.backend));
    opts.onRepository(repo.config.id);
    await countAsPresent(repo, presentImage);
    const ctx: TransferContext = { deps, repo, ssh, link, container: plan.container.id, progress, ...(opts.packTarget ? { packTarget: opts.packTarget } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
    rounds = await preCopy(ctx, { maxRounds: opts.maxRounds, running: plan.container.state === 'running' });
    opts.signal?.throwIfAborted();
    const repoPath = migrationRepoPath(facts.root, id);
    const staged = await stageVolumes(remote, plan, rounds, repoPath, dir, opts);
    opts.signal?.throwIfAborted();
    cut = await cutOver(ctx, remote, plan, st, { mode: opts.mode, verifyTimeMs: opts.verifyTimeMs, repoPath, control: deps.control, rounds: rounds.length, ...(staged ? { staged } : {}) });
  } catch (err) {
    await repo?.close().catch(() => undefined);
    const imageWasThere = presentImage.some((d) => d.digest === plan.image.manifest.digest);
    // not cancellable: a Ctrl-C may be what got us here, and the rollback must finish
    const rollback = await rollBack({ control: deps.control, remote, link: { timeoutMs: link.timeoutMs, progress }, progress }, plan, st, cleanupRequest(plan, st, dir, facts.now, imageWasThere));
    throw withRollback(err, rollback);
  }

  await repo.close().catch(() => undefined);
  await overLink('removing the temporary repository', ssh, link, () => remote.cleanup({ dir })).catch((err: unknown) => progress.warn(`the temporary repository ${dir} stays on ${ssh.target.host}: ${(err as Error).message}`));
  let source: Moved['source'] = 'untouched';
  if ((st.hold && st.hold.before !== 'stopped') || opts.rmSource) {
    source = await settleSource(deps.content.root, deps.control, plan.container.id, { remove: opts.rmSource }).catch((err: unknown) => {
      progress.warn(`the container runs on the target now, but ${plan.container.name} could not be ${opts.rmSource ? 'removed' : 'stopped'} here: ${(err as Error).message}`);
      return 'untouched' as const;
    });
  }
  return { id, rounds, cutover: cut, source };
}

/** Stages the last pre-copy round's volumes on the target; the stage directory, or undefined when nothing was staged. */
async function stageVolumes(remote: RemoteLifeboat, plan: MigratePlan, rounds: RoundReport[], repo: string, dir: string, opts: MoveOptions): Promise<string | undefined> {
  const last = rounds.at(-1);
  if (!last || plan.volumes.length === 0) return undefined;
  const into = posix.join(dir, 'staged');
  const started = Date.now();
  try {
    const r = await overLink('staging the volumes', remote.ssh, opts.link, () => remote.stage({ backup: last.backup, repo, into, volumeMap: plan.request.volumeMap }));
    if (r.skipped) opts.progress.warn(`the volumes were not staged on ${remote.ssh.target.host} (${r.skipped}); the cut-over restores them whole`);
    else opts.progress.info(`Staged ${r.volumes.length} volume(s) on ${remote.ssh.target.host} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
    return r.volumes.length ? into : undefined;
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    opts.progress.warn(`the volumes were not staged on ${remote.ssh.target.host} (${(err as Error).message}); the cut-over restores them whole`);
    return undefined;
  }
}

/** The migration's error, with the rollback's report in its data and its outcome in the message. */
function withRollback(err: unknown, rollback: RollbackReport): unknown {
  const e = err instanceof Error && err.name === 'AbortError' ? new CancelledError('migration cancelled') : err;
  if (!(e instanceof LifeboatError)) return e;
  const source = rollback.source === 'untouched' ? 'the source was not touched' : rollback.source.startsWith('failed') ? `the source could NOT be brought back (${rollback.source})` : `the source was ${rollback.source}`;
  const target = rollback.target ? 'nothing is left on the target' : `the target still holds what the migration made (${rollback.leftOnTarget})`;
  return new LifeboatError(e.code, e.exitCode, `${e.message}; rolled back: ${source}, ${target}`, { ...(e.hint ? { hint: e.hint } : {}), data: { ...e.data, rollback }, cause: e });
}
