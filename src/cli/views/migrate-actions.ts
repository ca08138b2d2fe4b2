/**
 * The body of `migrate` (cli/commands/migrate.ts): flags → ops/migrate.ts, the result on stdout
 * (the plan with --dry-run, else the report; JSON with --json), progress and warnings on stderr
 * (with --json too: a migration's steps are what its operator watches).
 *
 * Ctrl-C does not kill the migration half-way: the first one aborts it, which rolls back (the
 * source is started again, the target cleaned up) and exits 130; a second one is Node's default.
 */
import { CancelledError, UsageError } from '../../core/errors.js';
import { parseDuration, parseSize } from '../../core/units.js';
import type { MigrateResult } from '../../ops/migrate.js';
import type { Cli } from '../command.js';
import type { SshFlags } from '../commands/repo.js';
import { operationDeps } from './backup-actions.js';
import { migrationJson, planText, resultText } from './migrate-report.js';

export interface MigrateFlags extends SshFlags {
  name?: string;
  volume?: string[];
  publish?: string[];
  env?: string[];
  dryRun?: boolean;
  rmSource?: boolean;
  cutover?: string;
  verifyTime?: string;
  maxRounds?: string;
  linkTimeout?: string;
  packSize?: string;
  remoteRoot?: string;
  remoteLifeboat?: string;
}

function numbers(opts: MigrateFlags) {
  if (opts.cutover !== undefined && opts.cutover !== 'stop' && opts.cutover !== 'pause') throw new UsageError(`--cutover must be stop or pause, not ${opts.cutover}`);
  const maxRounds = opts.maxRounds === undefined ? undefined : Number(opts.maxRounds);
  if (maxRounds !== undefined && (!Number.isInteger(maxRounds) || maxRounds < 0 || maxRounds > 20)) throw new UsageError(`--max-rounds must be a whole number from 0 to 20, not ${opts.maxRounds}`);
  const packTarget = opts.packSize === undefined ? undefined : parseSize(opts.packSize);
  if (packTarget !== undefined && packTarget < 4096) throw new UsageError('--pack-size must be at least 4k');
  const linkTimeoutMs = opts.linkTimeout === undefined ? undefined : parseDuration(opts.linkTimeout);
  if (linkTimeoutMs !== undefined && linkTimeoutMs < 1000) throw new UsageError('--link-timeout must be at least 1s');
  if (opts.remoteRoot !== undefined && !opts.remoteRoot.startsWith('/')) throw new UsageError(`--remote-root must be an absolute path, not ${opts.remoteRoot}`);
  if (opts.remoteLifeboat !== undefined && opts.remoteLifeboat.trim() === '') throw new UsageError('--remote-lifeboat is empty');
  return {
    ...(opts.cutover ? { cutover: opts.cutover as 'stop' | 'pause' } : {}),
    ...(maxRounds !== undefined ? { maxRounds } : {}),
    ...(packTarget !== undefined ? { packTarget } : {}),
    ...(linkTimeoutMs !== undefined ? { linkTimeoutMs } : {}),
    ...(opts.verifyTime !== undefined ? { verifyTimeMs: parseDuration(opts.verifyTime) } : {}),
  };
}

export async function migrate(cli: Cli, container: string, target: string, opts: MigrateFlags): Promise<void> {
  const parsed = numbers(opts);
  const { migrateContainer } = await import('../../ops/migrate.js');
  // a migration takes a while: its steps go to stderr with --json too (the result alone is on stdout)
  const progress = await (await import('../progress.js')).createProgress({ json: false });
  const deps = await operationDeps(cli);
  const controller = new AbortController();
  const onInterrupt = () => {
    progress.warn('interrupted: rolling back (press Ctrl-C again to leave everything as it is now)');
    controller.abort(new CancelledError('migration cancelled'));
    process.removeListener('SIGINT', onInterrupt);
  };
  process.on('SIGINT', onInterrupt);
  let r: MigrateResult;
  try {
    r = await migrateContainer(deps, container, target, {
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      volumeMap: opts.volume ?? [],
      publish: opts.publish ?? [],
      env: opts.env ?? [],
      ssh: { ...(opts.identity ? { identity: opts.identity } : {}), ...(opts.knownHosts ? { knownHosts: opts.knownHosts } : {}), acceptNewHostKey: !!opts.acceptNewHostKey },
      ...(opts.remoteLifeboat !== undefined ? { remoteCommand: opts.remoteLifeboat } : {}),
      ...(opts.remoteRoot !== undefined ? { remoteRoot: opts.remoteRoot } : {}),
      dryRun: !!opts.dryRun,
      rmSource: !!opts.rmSource,
      ...parsed,
      progress,
      signal: controller.signal,
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
  cli.print(migrationJson(r), () => (r.outcome === 'planned' ? planText(r) : resultText(r)));
}
