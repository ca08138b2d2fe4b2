/**
 * The bodies of `forget` and `prune` on a repository: the retention flags of `volume forget`
 * turned into a policy (restic's rules), then ops/backup-forget.ts and ops/backup-prune.ts. Both
 * print what they decided (the reasons each kept backup is kept) or the prune report.
 */
import type { Cli } from '../command.js';
import type { SshFlags } from '../commands/repo.js';
import { withRepository } from './backup-actions.js';
import { forgetText, pruneText } from './backup-rows.js';
import { policyOf, type RetentionFlags } from './retention-flags.js';

export interface ForgetFlags extends SshFlags, RetentionFlags {
  repo?: string;
  container?: string;
  tag?: string[];
}

export interface PruneFlags extends SshFlags {
  repo?: string;
  dryRun?: boolean;
}

export async function forget(cli: Cli, ids: string[], opts: ForgetFlags): Promise<void> {
  const { forgetBackups } = await import('../../ops/backup-forget.js');
  const policy = policyOf(opts); // a bad flag is refused before the repository is opened
  const progress = await cli.progress();
  const r = await withRepository(cli, opts.repo, '--repo', opts, (repo) =>
    forgetBackups(repo, {
      ...(opts.container ? { container: opts.container } : {}),
      ...(opts.tag ? { tags: opts.tag } : {}),
      policy,
      ids,
      dryRun: !!opts.dryRun,
      prune: !!opts.prune,
      timeZone: opts.utc ? 'utc' : 'local',
      progress,
    }),
  );
  cli.print(r, () => forgetText(r));
}

export async function prune(cli: Cli, opts: PruneFlags): Promise<void> {
  const { pruneBackups } = await import('../../ops/backup-prune.js');
  const progress = await cli.progress();
  const r = await withRepository(cli, opts.repo, '--repo', opts, (repo) => repo.withLock('exclusive', () => pruneBackups(repo, { dryRun: !!opts.dryRun, progress })));
  cli.print(r, `${pruneText(r)}\n`);
}
