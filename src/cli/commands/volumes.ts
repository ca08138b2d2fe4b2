/**
 * `volume ...`: Docker's volume commands (create, ls, inspect, rm, prune) and Lifeboat's snapshot
 * commands (snapshot, snapshots, diff, restore, export, import, forget). Options only; the work is
 * in cli/views/volume-actions.ts, loaded when a command runs.
 */
import type { Command } from 'commander';
import { action, collect, common, retentionOptions } from '../command.js';

type VA = typeof import('../views/volume-actions.js');
type SA = typeof import('../views/snapshot-actions.js');

function lifecycle(volume: Command): void {
  common(volume.command('create'))
    .description('Create a volume')
    .argument('[name]', 'volume name (random when left out)')
    .option('-d, --driver <driver>', 'volume driver (only "local")', 'local')
    .option('-l, --label <key=value>', 'set metadata on the volume', collect)
    .option('-o, --opt <key=value>', 'driver options, kept with the volume', collect)
    .action(action(async (cli, name: string | undefined, opts: Parameters<VA['createVolume']>[2]) => (await import('../views/volume-actions.js')).createVolume(cli, name, opts)));
  common(volume.command('ls').alias('list'))
    .description('List volumes')
    .option('-f, --filter <filter>', 'dangling=true|false, label=<key>[=<value>], name=<text>', collect)
    .option('-q, --quiet', 'only display volume names')
    .action(action(async (cli, opts: Parameters<VA['listVolumes']>[1]) => (await import('../views/volume-actions.js')).listVolumes(cli, opts)));
  common(volume.command('inspect'))
    .description('Display detailed information on one or more volumes')
    .argument('<name...>')
    .action(action(async (cli, names: string[]) => (await import('../views/volume-actions.js')).inspectVolumes(cli, names)));
  common(volume.command('rm').alias('remove'))
    .description('Remove one or more volumes (their snapshots are kept)')
    .argument('<name...>')
    .option('-f, --force', 'remove even if a (stopped) container uses the volume')
    .action(action(async (cli, names: string[], opts: Parameters<VA['removeVolumes']>[2]) => (await import('../views/volume-actions.js')).removeVolumes(cli, names, opts)));
  common(volume.command('prune'))
    .description('Remove unused anonymous volumes (with --all, every unused volume)')
    .option('-a, --all', 'remove all unused volumes, not just anonymous ones')
    .option('--filter <filter>', 'label=<key>[=<value>] or label!=...', collect)
    .option('-f, --force', 'do not prompt (Lifeboat never prompts; accepted for Docker compatibility)')
    .action(action(async (cli, opts: Parameters<VA['pruneVolumes']>[1]) => (await import('../views/volume-actions.js')).pruneVolumes(cli, opts)));
}

function snapshots(volume: Command): void {
  common(volume.command('snapshot'))
    .description('Take an incremental, deduplicated snapshot of a volume')
    .argument('<name>', 'volume')
    .option('--tag <tag>', 'tag the snapshot (repeatable)', collect)
    .option('--label <key=value>', 'set metadata on the snapshot (repeatable)', collect)
    .option('--stop', 'stop the containers using the volume while it is read (instead of pausing them)')
    .option('--no-pause', 'do not pause the containers using the volume')
    .option('--exec-before <command>', 'run `sh -c COMMAND` in those containers first; its failure aborts the snapshot')
    .option('--exec-after <command>', 'run `sh -c COMMAND` in those containers afterwards')
    .option('--force-full', 'read every file, even those unchanged since the last snapshot')
    .action(action(async (cli, name: string, opts: Parameters<SA['snapshotVolume']>[2]) => (await import('../views/snapshot-actions.js')).snapshotVolume(cli, name, opts)));
  common(volume.command('snapshots'))
    .description('List volume snapshots')
    .argument('[name]', 'only this volume')
    .option('-q, --quiet', 'only display snapshot IDs')
    .option('--no-trunc', 'show full IDs')
    .action(action(async (cli, name: string | undefined, opts: Parameters<SA['listSnapshots']>[2]) => (await import('../views/snapshot-actions.js')).listSnapshots(cli, name, opts)));
  common(volume.command('diff'))
    .description('Show paths added, removed and changed between two snapshots')
    .argument('<snap1>')
    .argument('<snap2>')
    .action(action(async (cli, a: string, b: string) => (await import('../views/snapshot-actions.js')).diffSnapshots(cli, a, b)));
  common(volume.command('restore'))
    .description('Restore a snapshot into a new or an existing volume')
    .argument('<snapshot>', 'snapshot ID (or prefix), or VOLUME:latest')
    .option('--to <name>', 'target volume (default: the snapshot\'s volume)')
    .option('--overwrite', 'replace what the target volume holds')
    .option('--include <path>', 'restore only this path (repeatable)', collect)
    .action(action(async (cli, snap: string, opts: Parameters<SA['restoreSnapshot']>[2]) => (await import('../views/snapshot-actions.js')).restoreSnapshot(cli, snap, opts)));
  common(volume.command('export'))
    .description('Write a snapshot as a tar (.tar, .tar.gz, .tgz, .tar.zst) or .zip')
    .argument('<snapshot>')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .option('--format <format>', 'tar, tar.gz, tar.zst or zip (default: from the file name, else tar)')
    .option('--include <path>', 'export only this path (repeatable)', collect)
    .action(action(async (cli, snap: string, opts: Parameters<SA['exportSnapshot']>[2]) => (await import('../views/snapshot-actions.js')).exportSnapshot(cli, snap, opts)));
  common(volume.command('import'))
    .description('Fill a volume from a tar (plain, gzip or zstd; - for stdin)')
    .argument('<name>')
    .argument('<file>')
    .option('--overwrite', 'replace what the volume holds')
    .option('-l, --label <key=value>', 'labels for a new volume', collect)
    .action(action(async (cli, name: string, file: string, opts: Parameters<SA['importVolume']>[3]) => (await import('../views/snapshot-actions.js')).importVolume(cli, name, file, opts)));
  retentionOptions(common(volume.command('forget'))
    .description('Remove snapshots by ID or by a retention policy (restic\'s rules), optionally pruning their data')
    .argument('[snapshot...]', 'snapshot IDs to forget')
    .option('--volume <name>', 'only this volume\'s snapshots'), 'snapshot')
    .action(action(async (cli, ids: string[], opts: Parameters<SA['forget']>[2]) => (await import('../views/snapshot-actions.js')).forget(cli, ids, opts)));
}

export function register(program: Command): void {
  const volume = program.command('volume').description('Manage volumes and their snapshots');
  lifecycle(volume);
  snapshots(volume);
}
