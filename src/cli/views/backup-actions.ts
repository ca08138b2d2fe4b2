/**
 * The bodies of `backup`, `backup inspect` and `backups`, loaded only when one of them runs, and
 * what every repository command of cli/commands/backup.ts shares: opening the repository named by
 * a flag (or $LIFEBOAT_REPOSITORY) with the SSH options, and the dependencies the operations take.
 * Results on stdout (a table, or JSON with --json); progress and warnings on stderr.
 */
import { UsageError } from '../../core/errors.js';
import { parseSize } from '../../core/units.js';
import type { Repository } from '../../repository/repository.js';
import type { BackupDeps, BackupResult } from '../../ops/backup.js';
import type { Cli } from '../command.js';
import { backendOptions, type SshFlags } from '../commands/repo.js';
import { BACKUP_COLUMNS, backupJson, backupRow, backupSummary, backupTable } from './backup-rows.js';

export interface RepoFlags extends SshFlags {
  repo?: string;
}

export interface BackupFlags extends SshFlags {
  to?: string;
  tag?: string[];
  pause?: boolean;
  stop?: boolean;
  execBefore?: string;
  execAfter?: string;
  includeBinds?: boolean;
  packSize?: string;
}

export interface ListFlags extends RepoFlags {
  container?: string;
  tag?: string[];
  quiet?: boolean;
  trunc?: boolean;
}

/** Opens the repository at `url` (or $LIFEBOAT_REPOSITORY), runs `fn`, closes it. */
export async function withRepository<T>(cli: Cli, url: string | undefined, flag: string, flags: SshFlags, fn: (repo: Repository) => Promise<T>): Promise<T> {
  const location = url ?? process.env.LIFEBOAT_REPOSITORY;
  if (!location) throw new UsageError(`no repository given: use ${flag} PATH|sftp://user@host/path, or set LIFEBOAT_REPOSITORY`);
  const { openRepository } = await import('../../repository/repository.js');
  const repo = await openRepository(location, await backendOptions(cli, flags));
  try {
    return await fn(repo);
  } finally {
    await repo.close();
  }
}

export async function operationDeps(cli: Cli): Promise<BackupDeps> {
  const { VolumeStore } = await import('../../volumes/volume-store.js');
  const { containerControl } = await import('../../ops/container-control.js');
  return { content: await cli.content(), images: await cli.images(), volumes: new VolumeStore(cli.root), control: containerControl(cli.root) };
}

export async function backup(cli: Cli, containers: string[], opts: BackupFlags): Promise<void> {
  if (containers.length === 0) throw new UsageError('name at least one container to back up');
  if (opts.stop && opts.pause === false) throw new UsageError('--stop and --no-pause contradict each other');
  const { backupContainer } = await import('../../ops/backup.js');
  const progress = await cli.progress();
  const deps = await operationDeps(cli);
  const packTarget = opts.packSize === undefined ? undefined : parseSize(opts.packSize);
  if (packTarget !== undefined && packTarget < 4096) throw new UsageError('--pack-size must be at least 4k');
  const results = await withRepository(cli, opts.to, '--to', opts, async (repo) => {
    const out: BackupResult[] = [];
    let first: unknown;
    for (const name of containers) {
      try {
        const r = await backupContainer(deps, repo, name, {
          tags: opts.tag ?? [],
          includeBinds: !!opts.includeBinds,
          ...(packTarget ? { copy: { packTarget } } : {}),
          progress,
          consistency: { mode: opts.stop ? 'stop' : opts.pause === false ? 'none' : 'pause', execBefore: opts.execBefore, execAfter: opts.execAfter, warn: (m) => progress.warn(m) },
        });
        progress.info(backupSummary(r));
        out.push(r);
      } catch (err) {
        if (first === undefined) first = err;
        else progress.warn(`${name}: ${(err as Error).message}`);
      }
    }
    if (first !== undefined) {
      if (out.length) cli.print(out.map(backupJson), () => backupTable(out));
      throw first;
    }
    return out;
  });
  cli.print(results.map(backupJson), () => backupTable(results));
}

export async function list(cli: Cli, opts: ListFlags): Promise<void> {
  const { listBackups } = await import('../../ops/backup-catalog.js');
  const { latestVerdicts } = await import('../../ops/verify-record.js');
  const progress = await cli.progress();
  const { listing, verdicts } = await withRepository(cli, opts.repo, '--repo', opts, (repo) =>
    repo.withLock('shared', async () => ({ listing: await listBackups(repo, { ...(opts.container ? { container: opts.container } : {}), ...(opts.tag ? { tags: opts.tag } : {}) }), verdicts: await latestVerdicts(repo) })),
  );
  for (const d of listing.damaged) progress.warn(`backup ref ${d.id} cannot be read: ${d.error}`);
  const rows = listing.backups.map((b) => backupRow(b, verdicts.get(b.id))).reverse();
  const id = (r: ReturnType<typeof backupRow>) => (opts.trunc === false ? r.id : r.id.slice(0, 12));
  if (opts.quiet) return cli.print(rows.map(id), rows.map((r) => `${id(r)}\n`).join(''));
  cli.table(rows, [['ID', id], ...BACKUP_COLUMNS], (r) => r);
}

export async function inspect(cli: Cli, id: string, opts: RepoFlags): Promise<void> {
  const { loadBackup } = await import('../../ops/backup-catalog.js');
  const { listVerifications, readVerification } = await import('../../ops/verify-record.js');
  const doc = await withRepository(cli, opts.repo, '--repo', opts, (repo) =>
    repo.withLock('shared', async () => {
      const { entry, record } = await loadBackup(repo, id);
      const verifications = await Promise.all((await listVerifications(repo, entry.id)).map((f) => readVerification(repo, f)));
      return { Id: entry.id, Repository: repo.location, Ref: entry.ref, Record: record, Verifications: verifications };
    }),
  );
  process.stdout.write(`${JSON.stringify([doc], null, 2)}\n`);
}
