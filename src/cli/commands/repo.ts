/**
 * repo init | check | stats | unlock | detach: create and look after backup repositories (a local
 * directory or sftp://user@host[:port]/path). Every subcommand but detach (which opens nothing)
 * takes the SSH flags. Exit statuses: 10 no repository there, 11 locked by another process, 12 SSH
 * authentication or host key refused, 13 host unreachable, 6 damage found by check, 4 init over an
 * existing repository; detach: 3 nothing kept for that repository, 5 a name matching several.
 */
import type { Command } from 'commander';
import { IntegrityError } from '../../core/errors.js';
import type { OpenBackendOptions } from '../../repository/backends/open-backend.js';
import { action, common, group, type Cli } from '../command.js';

export interface SshFlags {
  identity?: string;
  knownHosts?: string;
  acceptNewHostKey?: boolean;
}

const EXIT_HELP = `
Exit status:
  0   success
  4   repo init: a repository already exists there
  6   repo check: the repository is damaged
  10  no repository at that location
  11  the repository is locked by another process
  12  SSH login or host key refused (unknown host: see --accept-new-host-key)
  13  host unreachable`;

/** The SSH flags of every command that opens a repository (repo *, backup, restore, verify, ...). */
export function sshOptions(cmd: Command): Command {
  return cmd
    .option('-i, --identity <file>', 'SSH private key (default: ssh-agent, then ~/.ssh/id_*)')
    .option('--known-hosts <file>', 'known_hosts file to check host keys against (default: ~/.ssh/known_hosts)')
    .option('--accept-new-host-key', 'trust a host seen for the first time and add it to known_hosts');
}

function withSsh(cmd: Command): Command {
  return sshOptions(common(cmd)).addHelpText('after', EXIT_HELP);
}

export async function backendOptions(cli: Cli, flags: SshFlags): Promise<OpenBackendOptions> {
  const progress = await cli.progress();
  return {
    ...(flags.identity ? { identity: flags.identity } : {}),
    ...(flags.knownHosts ? { knownHosts: flags.knownHosts } : {}),
    acceptNewHostKey: !!flags.acceptNewHostKey,
    retry: { onRetry: (err, attempt, delay) => progress.warn(`${(err as Error).message}; retrying in ${(delay / 1000).toFixed(1)}s (attempt ${attempt})`) },
  };
}

export function register(program: Command): void {
  const repo = group(program, 'repo', 'Create and maintain backup repositories (local directory or sftp://)');

  withSsh(repo.command('init').argument('<url>', 'a path, or sftp://user@host[:port]/path'))
    .description('Create an empty repository')
    .action(
      action(async (cli, url: string, flags: SshFlags) => {
        const { initRepository } = await import('../../repository/repository.js');
        const r = await initRepository(url, await backendOptions(cli, flags));
        await r.close();
        cli.print({ id: r.config.id, location: r.location, created: r.config.created }, `created repository ${r.config.id.slice(0, 12)} at ${r.location}\n`);
      }),
    );

  withSsh(repo.command('check').argument('<url>'))
    .description('Verify the repository: index, packs, refs and locks (--read-data re-hashes every pack and blob)')
    .option('--read-data', 'read every pack and verify every blob in it')
    .action(
      action(async (cli, url: string, flags: SshFlags & { readData?: boolean }) => {
        const { openRepository } = await import('../../repository/repository.js');
        const { checkRepository } = await import('../../repository/check.js');
        const { checkText } = await import('../views/repo-report.js');
        const r = await openRepository(url, await backendOptions(cli, flags));
        try {
          const report = await r.withLock('shared', async () => checkRepository(r, { readData: !!flags.readData, progress: await cli.progress() }));
          cli.print(report, () => checkText(r.location, report));
          if (report.problems.length) {
            throw new IntegrityError(`${report.problems.length} problem(s) found in the repository`, { code: 'REPOSITORY_DAMAGED', hint: 'the damaged backups cannot be restored whole; back up again to a healthy repository' });
          }
        } finally {
          await r.close();
        }
      }),
    );

  withSsh(repo.command('stats').argument('<url>'))
    .description('Show what the repository holds: backups, packs, blobs, stored and raw bytes')
    .action(
      action(async (cli, url: string, flags: SshFlags) => {
        const { openRepository } = await import('../../repository/repository.js');
        const { repoStats } = await import('../../repository/stats.js');
        const { statsText } = await import('../views/repo-report.js');
        const r = await openRepository(url, await backendOptions(cli, flags));
        try {
          const s = await r.withLock('shared', () => repoStats(r));
          cli.print(s, () => statsText(s));
        } finally {
          await r.close();
        }
      }),
    );

  withSsh(repo.command('unlock').argument('<url>'))
    .description('Remove stale locks (of dead processes on this host, or not refreshed for 30 minutes)')
    .option('--remove-all', 'remove every lock, live ones too (only when you know nothing is running)')
    .action(
      action(async (cli, url: string, flags: SshFlags & { removeAll?: boolean }) => {
        const { openRepository } = await import('../../repository/repository.js');
        const { removeLocks } = await import('../../repository/repo-locks.js');
        const { unlockText } = await import('../views/repo-report.js');
        const r = await openRepository(url, await backendOptions(cli, flags));
        try {
          const removed = await removeLocks(r.backend, { all: !!flags.removeAll });
          cli.print({ removed }, () => unlockText(removed, !!flags.removeAll));
        } finally {
          await r.close();
        }
      }),
    );

  common(repo.command('detach').argument('<url|id>', "the repository's location, or a prefix of its ID (see: lifeboat system check)"))
    .description("Drop what this host keeps for incremental backups to a repository (the last snapshot's trees of each volume); the repository is not opened or changed")
    .addHelpText('after', '\nUse it for a repository you no longer back up to. The next backup to it, if any, reads every file again.\n\nExit status:\n  0   success\n  2   not a repository location\n  3   this host keeps nothing for that repository\n  5   the name matches more than one repository (give a longer ID prefix)')
    .action(
      action(async (cli, name: string) => {
        const { forgetHeld, heldRepositories, pickHeld } = await import('../../ops/backup-local.js');
        const { SnapshotRefs } = await import('../../volumes/snapshot-refs.js');
        const { humanSize } = await import('../../core/units.js');
        const content = await cli.content();
        const listed = await new SnapshotRefs(content.root).list();
        const repository = pickHeld(heldRepositories(listed), name);
        const { refs, released } = await forgetHeld(content, repository.id, await cli.progress(), listed);
        const volumes = [...new Set(refs.map((r) => r.volume))].sort();
        cli.print(
          { id: repository.id, ...(repository.location ? { location: repository.location } : {}), volumes, snapshots: refs.length, released },
          `detached repository ${repository.id.slice(0, 12)}${repository.location ? ` (${repository.location})` : ''}: dropped the backup parents of ${volumes.length} volume(s) (${volumes.join(', ')}), freed ${humanSize(released.bytes)}\n`,
        );
      }),
    );
}
