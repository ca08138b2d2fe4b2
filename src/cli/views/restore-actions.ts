/**
 * The bodies of `restore` and `verify`. `restore --verify` proves the backup in a sandbox first,
 * from the same fetched blobs, and restores only when it passes. A failed verification prints its
 * verdict (stdout, or JSON with --json) and then exits 8.
 */
import { LifeboatError, VerifyFailedError } from '../../core/errors.js';
import { parseDuration } from '../../core/units.js';
import type { VerifyResult } from '../../ops/verify.js';
import type { Cli } from '../command.js';
import type { SshFlags } from '../commands/repo.js';
import { operationDeps, withRepository } from './backup-actions.js';
import { restoreSummary, verdictText } from './backup-rows.js';

export interface VerifyFlags extends SshFlags {
  repo?: string;
  verifyTime?: string;
}

export interface RestoreFlags extends SshFlags {
  from?: string;
  name?: string;
  volume?: string[];
  publish?: string[];
  env?: string[];
  force?: boolean;
  overwrite?: boolean;
  includeBinds?: boolean;
  start?: boolean;
  verify?: boolean;
  verifyTime?: string;
  staged?: string;
}

function failed(v: VerifyResult): VerifyFailedError {
  return new VerifyFailedError(`backup ${v.backup.slice(0, 12)} failed verification: ${v.reason}`, {
    hint: v.state === 'not started' ? 'the restored container could not be started; see the reason above' : 'see the last log lines above; fix the container and take a new backup',
    data: { backup: v.backup, reason: v.reason },
  });
}

export async function verify(cli: Cli, id: string, opts: VerifyFlags): Promise<void> {
  const { verifyBackup } = await import('../../ops/verify.js');
  const progress = await cli.progress();
  const deps = await operationDeps(cli);
  const v = await withRepository(cli, opts.repo, '--repo', opts, (repo) => verifyBackup(deps, repo, id, { verifyTimeMs: parseDuration(opts.verifyTime ?? '10s'), progress }));
  cli.print(v, () => verdictText(v));
  if (!v.passed) throw failed(v);
}

export async function restore(cli: Cli, id: string, opts: RestoreFlags): Promise<void> {
  const { restoreBackup } = await import('../../ops/restore.js');
  if (opts.staged !== undefined) (await import('../../ops/restore-stage.js')).checkStageDir(cli.root, opts.staged); // before the repository opens
  const progress = await cli.progress();
  const deps = await operationDeps(cli);
  const r = await withRepository(cli, opts.from, '--from', opts, (repo) =>
    restoreBackup(deps, repo, id, {
      ...(opts.name ? { name: opts.name } : {}),
      volumeMap: opts.volume ?? [],
      publish: opts.publish ?? [],
      env: opts.env ?? [],
      force: !!opts.force,
      overwrite: !!opts.overwrite,
      includeBinds: !!opts.includeBinds,
      start: !!opts.start,
      ...(opts.staged !== undefined ? { staged: opts.staged } : {}),
      ...(opts.verify ? { verifyTimeMs: parseDuration(opts.verifyTime ?? '10s') } : {}),
      progress,
    }).catch((err: unknown) => {
      const v = err instanceof LifeboatError ? (err.data.verification as VerifyResult | undefined) : undefined;
      if (v && !cli.json) process.stdout.write(verdictText(v));
      throw err;
    }),
  );
  if (r.verification) progress.info(verdictText(r.verification).trimEnd());
  cli.print(
    { backup: r.backup, container: { id: r.container.id, name: r.container.name }, image: r.image, volumes: r.data.volumes, binds: r.data.binds, fetched: r.fetched, verification: r.verification, started: r.started, durationMs: r.durationMs },
    () => restoreSummary(r),
  );
}
