/**
 * Whole-container backups: backup (and backup inspect), backups, restore, verify, forget, prune.
 * Declarations only; the bodies live in cli/views/backup-*.ts and load when a command runs. Every
 * command takes the SSH flags of `repo` (cli/commands/repo.ts) and a repository as --to, --from or
 * --repo (a path or sftp://user@host[:port]/path; $LIFEBOAT_REPOSITORY when left out).
 */
import type { Command } from 'commander';
import { action, collect, common, retentionOptions } from '../command.js';
import type * as BA from '../views/backup-actions.js';
import type * as RA from '../views/restore-actions.js';
import type * as FA from '../views/backup-forget-actions.js';
import { sshOptions } from './repo.js';

const EXIT_HELP = `
Exit status:
  0   success
  3   no such container or backup
  4   conflict: a name or volume in use (see --force, --overwrite), an ambiguous ID prefix
  6   integrity: a blob is corrupt or missing (the repository or the store)
  7   a container failed to start
  8   verification failed: the restored container did not stay up (or pass its health check)
  10  no repository at that location
  11  the repository is locked by another process
  12  SSH login or host key refused
  13  host unreachable`;

const REPO = 'repository: a path or sftp://user@host[:port]/path (default: $LIFEBOAT_REPOSITORY)';


const views = {
  backup: () => import('../views/backup-actions.js'),
  restore: () => import('../views/restore-actions.js'),
  forget: () => import('../views/backup-forget-actions.js'),
};

function repoCommand(cmd: Command): Command {
  return sshOptions(common(cmd)).addHelpText('after', EXIT_HELP);
}

function backupCommands(program: Command): void {
  const backup = repoCommand(program.command('backup'))
    .description('Back up whole containers (config, image, writable layer, volumes) to a repository')
    .argument('[container...]', 'containers to back up (one backup each)')
    .option('--to <repo>', REPO)
    .option('--tag <tag>', 'tag the backup (repeatable)', collect)
    .option('--pause', 'freeze the container while it is read (the default)')
    .option('--stop', 'stop the container while it is read, then start it again')
    .option('--no-pause', 'read the running container as it is (crash-consistent at best)')
    .option('--exec-before <command>', 'run `sh -c COMMAND` in the container first; its failure aborts the backup')
    .option('--exec-after <command>', 'run `sh -c COMMAND` in the container afterwards')
    .option('--include-binds', 'also snapshot bind-mounted host directories')
    .option('--pack-size <size>', 'target size of the packs uploaded (e.g. 4m; default 16m)')
    .action(action(async (cli, containers: string[], opts: BA.BackupFlags) => (await views.backup()).backup(cli, containers, opts)));
  repoCommand(backup.command('inspect'))
    .description('Show a backup\'s record: container config, image, layer, volumes, stats and verifications')
    .argument('<backup>', 'backup ID or unique prefix')
    .option('--repo <repo>', REPO)
    .action(action(async (cli, id: string, opts: BA.RepoFlags) => (await views.backup()).inspect(cli, id, opts)));
  repoCommand(program.command('backups'))
    .description('List the backups in a repository')
    .option('--repo <repo>', REPO)
    .option('--container <name>', 'only this container\'s backups')
    .option('--tag <tag>', 'only backups with this tag (repeatable: all of them)', collect)
    .option('-q, --quiet', 'only display backup IDs')
    .option('--no-trunc', 'show full IDs')
    .action(action(async (cli, opts: BA.ListFlags) => (await views.backup()).list(cli, opts)));
}

function restoreCommands(program: Command): void {
  repoCommand(program.command('restore'))
    .description('Restore a backup as a container: image, writable layer, volumes and config')
    .argument('<backup>', 'backup ID or unique prefix')
    .option('--from <repo>', REPO)
    .option('--name <name>', 'container name (default: the backed-up container\'s)')
    .option('-v, --volume <old=new>', 'restore volume OLD (name or mount target) into volume NEW; for a bind, /old=/new (repeatable)', collect)
    .option('-p, --publish <spec>', 'replace or add a port mapping (repeatable)', collect)
    .option('-e, --env <key=value>', 'set or replace an environment variable (repeatable)', collect)
    .option('--force', 'replace an existing container of that name')
    .option('--overwrite', 'replace the data of existing volumes (and non-empty bind paths with --include-binds)')
    .option('--include-binds', 'write the backed-up bind data into the host paths')
    .option('--start', 'start the container once restored')
    .option('--verify', 'first prove the backup in a sandbox (see `verify`); restore only if it passes')
    .option('--verify-time <duration>', 'how long the sandboxed container must stay up', '10s')
    .option('--staged <dir>', "a migration's stage directory (`receive stage`): volumes staged there are patched, not restored whole")
    .action(action(async (cli, id: string, opts: RA.RestoreFlags) => (await views.restore()).restore(cli, id, opts)));
  repoCommand(program.command('verify'))
    .description('Restore a backup into a sandbox, start it, and check it stays up (or exits 0); the verdict goes into the repository')
    .argument('<backup>', 'backup ID or unique prefix')
    .option('--repo <repo>', REPO)
    .option('--verify-time <duration>', 'how long the container must stay up', '10s')
    .action(action(async (cli, id: string, opts: RA.VerifyFlags) => (await views.restore()).verify(cli, id, opts)));
}

function retentionCommands(program: Command): void {
  retentionOptions(repoCommand(program.command('forget'))
    .description('Remove backups by ID or by a retention policy (restic\'s rules, per container), optionally pruning their data')
    .argument('[backup...]', 'backup IDs to forget')
    .option('--repo <repo>', REPO)
    .option('--container <name>', 'only this container\'s backups')
    .option('--tag <tag>', 'only backups with this tag (repeatable)', collect), 'backup')
    .action(action(async (cli, ids: string[], opts: FA.ForgetFlags) => (await views.forget()).forget(cli, ids, opts)));
  repoCommand(program.command('prune'))
    .description('Delete the data no backup in the repository needs (takes the repository to itself)')
    .option('--repo <repo>', REPO)
    .option('-n, --dry-run', 'only report what would be deleted')
    .action(action(async (cli, opts: FA.PruneFlags) => (await views.forget()).prune(cli, opts)));
}

export function register(program: Command): void {
  backupCommands(program);
  restoreCommands(program);
  retentionCommands(program);
}
