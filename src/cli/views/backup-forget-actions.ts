/**
 * The bodies of `forget` and `prune` on a repository: the retention flags of `volume forget`
 * turned into a policy (restic's rules), then ops/backup-forget.ts and ops/backup-prune.ts. Both
 * print what they decided (the reasons each kept backup is kept) or the prune report.
 */
import { UsageError } from '../../core/errors.js';
import { parseCalendarDuration, type RetentionPolicy } from '../../core/retention.js';
import type { Cli } from '../command.js';
import type { SshFlags } from '../commands/repo.js';
import { withRepository } from './backup-actions.js';
import { forgetText, pruneText } from './backup-rows.js';

export interface ForgetFlags extends SshFlags {
  repo?: string;
  container?: string;
  tag?: string[];
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  keepWithin?: string;
  keepTag?: string[];
  utc?: boolean;
  dryRun?: boolean;
  prune?: boolean;
}

export interface PruneFlags extends SshFlags {
  repo?: string;
  dryRun?: boolean;
}

export function policyOf(opts: ForgetFlags): RetentionPolicy {
  for (const [flag, v] of Object.entries(opts)) {
    if (typeof v === 'number' && (Number.isNaN(v) || v < -1)) throw new UsageError(`--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} takes a number or "unlimited"`);
  }
  return {
    ...(opts.keepLast !== undefined ? { last: opts.keepLast } : {}),
    ...(opts.keepHourly !== undefined ? { hourly: opts.keepHourly } : {}),
    ...(opts.keepDaily !== undefined ? { daily: opts.keepDaily } : {}),
    ...(opts.keepWeekly !== undefined ? { weekly: opts.keepWeekly } : {}),
    ...(opts.keepMonthly !== undefined ? { monthly: opts.keepMonthly } : {}),
    ...(opts.keepYearly !== undefined ? { yearly: opts.keepYearly } : {}),
    ...(opts.keepWithin ? { within: parseCalendarDuration(opts.keepWithin) } : {}),
    ...(opts.keepTag ? { tags: opts.keepTag.map((t) => t.split(',')) } : {}),
  };
}

export async function forget(cli: Cli, ids: string[], opts: ForgetFlags): Promise<void> {
  const { forgetBackups } = await import('../../ops/backup-forget.js');
  const progress = await cli.progress();
  const r = await withRepository(cli, opts.repo, '--repo', opts, (repo) =>
    forgetBackups(repo, {
      ...(opts.container ? { container: opts.container } : {}),
      ...(opts.tag ? { tags: opts.tag } : {}),
      policy: policyOf(opts),
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
